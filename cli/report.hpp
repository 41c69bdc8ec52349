#pragma once
// How every command with --dry-run reports: its checks, then what it would do.
#include <string>
#include <vector>

#include "actions/check.hpp"
#include "actions/options.hpp"

namespace pgha::cli {

// Prints the checks (and the plan when they all passed); returns 0, or throws
// a refusal (exit 3) naming the command when a check failed.
int finish_dry_run(const Checks& checks, const std::vector<std::string>& plan, OutputFormat format,
                   const std::string& command);

}  // namespace pgha::cli
