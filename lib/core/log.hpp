#pragma once
// Minimal leveled logging to stderr. Callers never pass secrets (conninfo goes
// through pg::redact_conninfo first).
#include <fmt/format.h>
#include <string_view>

namespace pgha::log {

enum class Level { debug = 0, info = 1, notice = 2, warning = 3, error = 4 };

void set_level(Level level);
Level level();
// "debug", "info", "notice", "warning", "error"; false when unknown.
bool parse_level(std::string_view name, Level& out);
void write(Level level, std::string_view text);

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

}  // namespace pgha::log
