#pragma once
// cluster cleanup: prune pgha.monitoring_history on the primary.
#include <cstdint>
#include <string>

#include "actions/options.hpp"
#include "config/config.hpp"

namespace pgha {

struct CleanupOutcome {
    std::string message;   // to show
    std::int64_t rows = 0;  // deleted (--dry-run: that would be deleted)
};

// Deletes monitoring history older than keep_days days (--dry-run: counts
// only). keep_days < 0 is a usage error.
CleanupOutcome cleanup_history(const Config& config, const GlobalOptions& options, int keep_days);

}  // namespace pgha
