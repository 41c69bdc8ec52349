#pragma once
// Durations ("500ms", "2s", "1m", "1h") and sizes ("16MB", "512kB", "0") as
// written in pgha.toml. Size units are binary, as in postgresql.conf (1kB = 1024 B).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgha {

using Millis = std::chrono::milliseconds;

// nullopt when the text is not a duration; the caller names the key.
std::optional<Millis> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);

std::string format_duration(Millis value);
std::string format_size(std::uint64_t bytes);

}  // namespace pgha
