#include "http/asio_compat.hpp"

#include "monitor/postmaster_watch.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>

#include "actions/data_directory.hpp"
#include "core/log.hpp"

namespace pgha {
namespace asio = boost::asio;

namespace {

// running_postmaster(), when that process also runs with `data_directory` as
// its working directory: a stale postmaster.pid's PID may belong to anything.
std::optional<int> watched_postmaster(const std::string& data_directory) {
    auto pid = running_postmaster(data_directory);
    if (!pid) return std::nullopt;
    std::error_code error;
    auto cwd = std::filesystem::read_symlink("/proc/" + std::to_string(*pid) + "/cwd", error);
    if (error) return std::nullopt;
    auto own = std::filesystem::canonical(data_directory, error);
    if (error || cwd != own) return std::nullopt;
    return static_cast<int>(*pid);
}

// pg_control's state: true for "shut down" / "shut down in recovery";
// nullopt when it cannot be read.
std::optional<bool> shut_down_cleanly(const std::string& data_directory) {
    // ControlFileData begins with system_identifier (8 bytes),
    // pg_control_version and catalog_version_no (4 each), then the DBState.
    std::ifstream file(data_directory + "/global/pg_control", std::ios::binary);
    std::uint32_t state = 0;
    if (!file.seekg(16) || !file.read(reinterpret_cast<char*>(&state), sizeof state)) return std::nullopt;
    constexpr std::uint32_t shut_down = 1, shut_down_in_recovery = 2;
    return state == shut_down || state == shut_down_in_recovery;
}

}  // namespace

struct PostmasterWatch::Impl {
    asio::io_context& io;
    std::string data_directory;
    std::function<void(bool)> exited;
    std::optional<asio::posix::stream_descriptor> pidfd;
    int pid = 0;
    bool warned = false;
};

PostmasterWatch::PostmasterWatch(asio::io_context& io, std::string data_directory, std::function<void(bool)> exited)
    : impl_(std::make_unique<Impl>(Impl{io, std::move(data_directory), std::move(exited), {}, 0, false})) {}

PostmasterWatch::~PostmasterWatch() = default;

void PostmasterWatch::follow() {
    auto& w = *impl_;
    auto pid = watched_postmaster(w.data_directory);
    if (!pid || (w.pidfd && *pid == w.pid)) return;
    int raw = static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0));
    if (raw < 0) {
        if (!std::exchange(w.warned, true))
            log::warning("cannot watch the postmaster (PID {}) through a pidfd: {}; its exit is seen by the "
                         "monitoring rounds only", *pid, std::strerror(errno));
        return;
    }
    // The PID may have been reused between reading the file and opening it.
    if (watched_postmaster(w.data_directory) != pid) {
        ::close(raw);
        return;
    }
    w.pidfd.emplace(w.io, raw);
    w.pid = *pid;
    log::debug("watching the postmaster (PID {})", *pid);
    w.pidfd->async_wait(asio::posix::stream_descriptor::wait_read, [this, pid = *pid](const boost::system::error_code& error) {
        auto& w = *impl_;
        if (error || w.pid != pid) return;
        w.pidfd.reset();
        w.pid = 0;
        auto clean = shut_down_cleanly(w.data_directory);
        log::info("the postmaster (PID {}) exited{}", pid,
                  !clean ? "" : *clean ? " after a clean shutdown" : " without a clean shutdown");
        w.exited(clean.value_or(true));  // unknown: as a planned stop (nothing released, the lease runs out)
    });
}

void PostmasterWatch::stop() {
    impl_->pidfd.reset();
    impl_->pid = 0;
}

}  // namespace pgha
