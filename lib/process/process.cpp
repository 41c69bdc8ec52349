#include "process/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <utility>

namespace pgha {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        reset();
        fd_ = std::exchange(other.fd_, -1);
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

struct Pipe {
    Fd read, write;
    static Pipe make() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
        return {Fd(fds[0]), Fd(fds[1])};
    }
};

// Owns a started child: a child still running when this goes away is killed and reaped.
class Child {
public:
    explicit Child(pid_t pid) : pid_(pid) {}
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ > 0) {
            kill_group(SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
    }
    void kill_group(int sig) const { ::kill(-pid_, sig); }

    // Waits up to `limit` for exit; true when it exited (status filled).
    bool wait_for(std::optional<Clock::duration> limit, int& status) {
        auto deadline = limit ? Clock::now() + *limit : Clock::time_point::max();
        while (true) {
            pid_t done = ::waitpid(pid_, &status, limit ? WNOHANG : 0);
            if (done == pid_) {
                pid_ = -1;
                return true;
            }
            if (done < 0 && errno != EINTR) {
                pid_ = -1;
                status = 0;
                return true;
            }
            if (limit && Clock::now() >= deadline) return false;
            if (limit) ::usleep(5000);
        }
    }

private:
    pid_t pid_;
};

[[noreturn]] void exec_child(const std::vector<std::string>& argv, const ProcessOptions& options, int output_fd,
                             int error_report_fd) {
    ::setpgid(0, 0);  // own process group, so a timeout can stop its children too
    for (const auto& [name, value] : options.environment) ::setenv(name.c_str(), value.c_str(), 1);
    if (output_fd >= 0) {
        ::dup2(output_fd, STDOUT_FILENO);
        ::dup2(output_fd, STDERR_FILENO);
        int null_fd = ::open("/dev/null", O_RDONLY);
        if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    }
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    int error = errno;
    [[maybe_unused]] auto ignored = ::write(error_report_fd, &error, sizeof error);
    ::_exit(127);
}

}  // namespace

std::string ProcessResult::describe() const {
    if (!started) return "could not be started: " + start_error;
    if (timed_out) return "timed out and was stopped";
    if (signal != 0) return fmt::format("was killed by signal {}", signal);
    return fmt::format("exited with code {}", exit_code);
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
    ProcessResult result;
    if (argv.empty() || argv[0].empty()) {
        result.start_error = "empty command";
        return result;
    }
    auto output = options.capture_output ? Pipe::make() : Pipe{};
    auto exec_report = Pipe::make();
    auto start = Clock::now();
    pid_t pid = ::fork();
    if (pid < 0) {
        result.start_error = std::strerror(errno);
        return result;
    }
    if (pid == 0) exec_child(argv, options, output.write.get(), exec_report.write.get());

    Child child(pid);
    output.write.reset();
    exec_report.write.reset();
    int exec_errno = 0;
    if (::read(exec_report.read.get(), &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
        int status = 0;
        child.wait_for(std::nullopt, status);
        result.start_error = fmt::format("{}: {}", argv[0], std::strerror(exec_errno));
        return result;
    }
    result.started = true;

    auto deadline = options.timeout ? start + *options.timeout : Clock::time_point::max();
    if (output.read.get() >= 0) {
        char buffer[4096];
        while (true) {
            int wait_ms = -1;
            if (options.timeout) {
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
                if (left.count() <= 0) {
                    result.timed_out = true;
                    break;
                }
                wait_ms = static_cast<int>(left.count());
            }
            pollfd pfd{output.read.get(), POLLIN, 0};
            int ready = ::poll(&pfd, 1, wait_ms);
            if (ready < 0 && errno == EINTR) continue;
            if (ready == 0) continue;  // the deadline check above ends the loop
            ssize_t n = ::read(output.read.get(), buffer, sizeof buffer);
            if (n <= 0) break;  // every writer closed: the child (and its group) is done with output
            if (result.output.size() < options.output_limit)
                result.output.append(buffer, std::min<std::size_t>(n, options.output_limit - result.output.size()));
        }
    }

    int status = 0;
    std::optional<Clock::duration> left;
    if (options.timeout && !result.timed_out) left = std::max(deadline - Clock::now(), Clock::duration::zero());
    if (result.timed_out || !child.wait_for(left, status)) {
        result.timed_out = true;
        child.kill_group(SIGTERM);
        if (!child.wait_for(std::chrono::seconds(2), status)) {
            child.kill_group(SIGKILL);
            child.wait_for(std::nullopt, status);
        }
        return result;
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

}  // namespace pgha
