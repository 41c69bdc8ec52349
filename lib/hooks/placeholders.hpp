#pragma once
#include <string>
#include <vector>

#include "hooks/event.hpp"

namespace pgha {

// Substitutes %n %a %e %s %t %d %p %c (and %% for a literal %) inside each
// argument separately, so a value can never become a second argument or code.
std::string expand_placeholders(const std::string& argument, const Event& event);
std::vector<std::string> expand_placeholders(const std::vector<std::string>& argv, const Event& event);

}  // namespace pgha
