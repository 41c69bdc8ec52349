#include "actions/check.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace pgha {

void throw_first_failure(const Checks& checks, const std::string& action) {
    for (const auto& check : checks)
        if (!check.passed)
            throw refused(fmt::format("{} refused: {}", action, check.name), check.detail, check.hint);
}

}  // namespace pgha
