#pragma once
// A precondition checked before an action (and all that --dry-run does).
#include <string>
#include <vector>

namespace pgha {

struct Check {
    std::string name;
    bool passed = false;
    std::string detail;  // what was found
    std::string hint;    // what to do when it failed
};

using Checks = std::vector<Check>;

inline bool all_passed(const Checks& checks) {
    for (const auto& check : checks)
        if (!check.passed) return false;
    return true;
}

// The first failed check as a refusal (ExitCode::refused); no-op when all passed.
void throw_first_failure(const Checks& checks, const std::string& action);

}  // namespace pgha
