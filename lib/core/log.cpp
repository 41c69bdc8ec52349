#include "core/log.hpp"

#include <array>
#include <atomic>
#include <cstdio>

namespace pgha::log {
namespace {
std::atomic<Level> current_level{Level::notice};
constexpr std::array<std::string_view, 5> names{"debug", "info", "notice", "warning", "error"};
}  // namespace

void set_level(Level value) { current_level = value; }
Level level() { return current_level; }

bool parse_level(std::string_view name, Level& out) {
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) {
            out = static_cast<Level>(i);
            return true;
        }
    }
    return false;
}

void write(Level value, std::string_view text) {
    auto line = fmt::format("{}: {}\n", names[static_cast<std::size_t>(value)], text);
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace pgha::log
