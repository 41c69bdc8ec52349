#include "core/lsn.hpp"

#include <charconv>
#include <fmt/format.h>

namespace pgha {

std::optional<Lsn> parse_lsn(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return std::nullopt;
    std::uint32_t high = 0, low = 0;
    auto parse_half = [](std::string_view half, std::uint32_t& out) {
        auto [end, ec] = std::from_chars(half.data(), half.data() + half.size(), out, 16);
        return ec == std::errc() && end == half.data() + half.size();
    };
    if (!parse_half(text.substr(0, slash), high) || !parse_half(text.substr(slash + 1), low))
        return std::nullopt;
    return (static_cast<Lsn>(high) << 32) | low;
}

std::string format_lsn(Lsn lsn) {
    return fmt::format("{:X}/{:X}", static_cast<std::uint32_t>(lsn >> 32),
                       static_cast<std::uint32_t>(lsn));
}

}  // namespace pgha
