#include "core/units.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <utility>

namespace pgha {
namespace {

struct Unit {
    std::string_view suffix;
    std::uint64_t factor;
};

constexpr std::array duration_units{Unit{"ms", 1}, Unit{"s", 1000}, Unit{"min", 60'000},
                                    Unit{"m", 60'000}, Unit{"h", 3'600'000}, Unit{"d", 86'400'000}};
constexpr std::array size_units{Unit{"B", 1}, Unit{"kB", 1ULL << 10}, Unit{"KB", 1ULL << 10},
                                Unit{"MB", 1ULL << 20}, Unit{"GB", 1ULL << 30},
                                Unit{"TB", 1ULL << 40}};

// Splits "<digits><unit>" (spaces allowed between) and returns number * factor.
template <std::size_t N>
std::optional<std::uint64_t> parse_with_units(std::string_view text,
                                              const std::array<Unit, N>& units,
                                              bool unit_optional_for_zero) {
    std::uint64_t number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    std::string_view rest(end, text.data() + text.size() - end);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) {
        if (unit_optional_for_zero && number == 0) return 0;
        return std::nullopt;
    }
    for (const auto& unit : units) {
        if (rest == unit.suffix) {
            if (number > std::numeric_limits<std::uint64_t>::max() / unit.factor) return std::nullopt;
            return number * unit.factor;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<Millis> parse_duration(std::string_view text) {
    auto value = parse_with_units(text, duration_units, true);
    if (!value || *value > static_cast<std::uint64_t>(std::numeric_limits<Millis::rep>::max()))
        return std::nullopt;
    return Millis(static_cast<Millis::rep>(*value));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    return parse_with_units(text, size_units, true);
}

std::string format_duration(Millis value) {
    auto ms = value.count();
    if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

std::string format_size(std::uint64_t bytes) {
    for (auto it = size_units.rbegin(); it != size_units.rend(); ++it) {
        if (it->suffix == "KB") continue;
        if (bytes != 0 && bytes % it->factor == 0)
            return std::to_string(bytes / it->factor) + std::string(it->suffix);
    }
    return std::to_string(bytes) + "B";
}

}  // namespace pgha
