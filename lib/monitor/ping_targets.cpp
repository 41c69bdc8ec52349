#include "monitor/ping_targets.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "process/command_line.hpp"
#include "process/process.hpp"

namespace pgha {
namespace {

class Socket {  // closes the descriptor however the probe ends
public:
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// nullopt when the TCP handshake completed within `timeout`, else why not.
std::optional<std::string> tcp_connect(const std::string& host, const std::string& port, Millis timeout) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) return gai_strerror(rc);
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
    Socket socket(::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (socket.get() < 0) return std::string(std::strerror(errno));
    if (::connect(socket.get(), found->ai_addr, found->ai_addrlen) == 0) return std::nullopt;
    if (errno != EINPROGRESS) return std::string(std::strerror(errno));
    pollfd waiting{socket.get(), POLLOUT, 0};
    int ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
    if (ready == 0) return std::string("no answer");
    int error = 0;
    socklen_t length = sizeof error;
    if (ready < 0 || ::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) return std::string(std::strerror(error));
    return std::nullopt;
}

std::optional<std::string> icmp_echo(const std::string& host, Millis timeout) {
    auto ping = find_program("ping");
    if (!ping) return std::string("the ping program is not installed (apt-get install iputils-ping)");
    auto seconds = std::max<long>(1, (timeout.count() + 999) / 1000);
    ProcessOptions options;
    options.timeout = timeout + Millis(1000);
    auto result = run_process({*ping, "-n", "-q", "-c", "1", "-W", std::to_string(seconds), host}, options);
    if (result.succeeded()) return std::nullopt;
    return result.exit_code == 1 ? std::string("no answer") : result.describe();
}

// "host:port", "[v6]:port" or a bare address.
std::optional<std::string> probe(const std::string& target, Millis timeout) {
    auto colon = target.rfind(':');
    bool bracketed = target.starts_with('[');
    bool has_port = colon != std::string::npos && (bracketed ? target[colon - 1] == ']' : target.find(':') == colon);
    if (!has_port) return icmp_echo(bracketed ? target.substr(1, target.size() - 2) : target, timeout);
    auto host = target.substr(bracketed ? 1 : 0, bracketed ? colon - 2 : colon);
    return tcp_connect(host, target.substr(colon + 1), timeout);
}

}  // namespace

PingOutcome check_ping_targets(const std::vector<std::string>& targets, Millis timeout) {
    std::vector<std::string> failures;
    for (const auto& target : targets) {
        auto failure = probe(target, timeout);
        if (!failure) return {true, target + " answered"};
        failures.push_back(fmt::format("{}: {}", target, *failure));
    }
    if (targets.empty()) return {false, "no ping_targets configured"};
    return {false, fmt::format("no ping target answered ({})", fmt::join(failures, "; "))};
}

}  // namespace pgha
