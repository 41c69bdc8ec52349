#pragma once
// Small text helpers: "did you mean" suggestions.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgha {

std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace pgha
