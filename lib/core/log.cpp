#include "core/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>

namespace pgha::log {
namespace {
std::atomic<Level> current_level{Level::notice};
std::atomic<bool> timestamps{false};
// Keeps a (rare) partial write from interleaving with another thread's entry.
std::mutex write_mutex;
constexpr std::array<std::string_view, 5> names{"debug", "info", "notice", "warning", "error"};
}  // namespace

void set_level(Level value) { current_level = value; }
Level level() { return current_level; }
void set_timestamps(bool on) { timestamps = on; }

bool parse_level(std::string_view name, Level& out) {
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) {
            out = static_cast<Level>(i);
            return true;
        }
    }
    return false;
}

std::optional<std::string> open_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return std::string(std::strerror(errno));
    std::lock_guard lock(write_mutex);
    // dup2 swaps the file under fd 2 atomically: a line goes wholly to the old file or the new.
    int result = fd == STDERR_FILENO ? fd : ::dup2(fd, STDERR_FILENO);
    int saved = errno;
    if (fd != STDERR_FILENO) ::close(fd);
    if (result < 0) return std::string(std::strerror(saved));
    return std::nullopt;
}

std::string iso8601_utc(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(time.time_since_epoch()).count();
    auto seconds = static_cast<std::time_t>(ms / 1000);
    auto millis = ms % 1000;
    if (millis < 0) {  // before 1970: floor, not truncate
        millis += 1000;
        --seconds;
    }
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                       utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

std::string format_entry(Level value, std::string_view text,
                         std::optional<std::chrono::system_clock::time_point> time) {
    std::string prefix = time ? iso8601_utc(*time) + " " : std::string();
    prefix += names[static_cast<std::size_t>(value)];
    prefix += ": ";
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    std::string out;
    for (;;) {
        auto end = text.find('\n');
        out += prefix;
        out += text.substr(0, end);
        out += '\n';
        if (end == std::string_view::npos) return out;
        text.remove_prefix(end + 1);
    }
}

void write(Level value, std::string_view text) {
    std::lock_guard lock(write_mutex);  // the clock read inside it: the file's lines stay in time order
    std::optional<std::chrono::system_clock::time_point> now;
    if (timestamps) now = std::chrono::system_clock::now();
    auto entry = format_entry(value, text, now);
    std::string_view left = entry;
    while (!left.empty()) {
        auto written = ::write(STDERR_FILENO, left.data(), left.size());
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;  // nowhere left to report it
        left.remove_prefix(static_cast<std::size_t>(written));
    }
}

}  // namespace pgha::log
