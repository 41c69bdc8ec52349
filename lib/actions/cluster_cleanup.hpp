#pragma once
// cluster cleanup: prune pgha.monitoring_history on the primary.
#include <string>

#include "actions/options.hpp"
#include "config/config.hpp"

namespace pgha {

// Deletes monitoring history older than keep_days days (--dry-run: counts
// only) and returns the message to show. keep_days < 0 is a usage error.
std::string cleanup_history(const Config& config, const GlobalOptions& options, int keep_days);

}  // namespace pgha
