#pragma once
// PostgreSQL WAL positions ("16/B374D848") as 64-bit numbers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgha {

using Lsn = std::uint64_t;

std::optional<Lsn> parse_lsn(std::string_view text);
std::string format_lsn(Lsn lsn);

}  // namespace pgha
