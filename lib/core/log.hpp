#pragma once
// Leveled logging to stderr (file descriptor 2), one write(2) per entry and no
// stdio buffer, so every line is on disk when it is logged, also when the
// process is killed right after. Safe to call from any thread. Callers never
// pass secrets (conninfo goes through pg::redact_conninfo first).
#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pgha::log {

enum class Level { debug = 0, info = 1, notice = 2, warning = 3, error = 4 };

void set_level(Level level);
Level level();
// "debug", "info", "notice", "warning", "error"; false when unknown.
bool parse_level(std::string_view name, Level& out);

// pghad turns timestamps on: each line then starts with the UTC time. The CLI
// leaves them off (a person reads its lines as they appear).
void set_timestamps(bool on);

// Points file descriptor 2 at `path` (appending, created 0640 when missing),
// so log lines and anything else written to stderr go there. Called again
// with the same path after logrotate moved the file, it starts a fresh one.
// nullopt on success, else why the file cannot be opened (stderr unchanged).
std::optional<std::string> open_file(const std::string& path);

void write(Level level, std::string_view text);

// "2026-12-02T13:45:01.123Z": ISO 8601, UTC, milliseconds.
std::string iso8601_utc(std::chrono::system_clock::time_point time);
// The text as it is written: each of its lines (a libpq message may hold
// several) as "[TIME ]LEVEL: line\n", so every line of the file is dated.
std::string format_entry(Level level, std::string_view text,
                         std::optional<std::chrono::system_clock::time_point> time);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    if (level() <= Level::debug) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    if (level() <= Level::info) write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
    if (level() <= Level::warning) write(Level::warning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace pgha::log
