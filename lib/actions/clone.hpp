#pragma once
// standby clone: a new standby's data directory from an upstream, with
// pg_basebackup, then standby.signal and primary_conninfo.
#include <optional>
#include <string>

#include "actions/check.hpp"
#include "actions/options.hpp"
#include "config/config.hpp"

namespace pgha {

struct CloneOptions {
    bool fast_checkpoint = false;
    bool show_progress = false;  // pg_basebackup --progress (on a terminal)
};

struct CloneOutcome {
    Checks checks;        // every precondition, in order
    std::string message;  // what was done (empty for a dry run)
    std::string upstream;        // its label ("host=... port=..."), never a password
    std::string data_directory;  // the target
    std::optional<std::string> slot;  // the replication slot the standby uses on the upstream
};

// With options.dry_run: runs the checks only and changes nothing; the caller
// decides the exit code from all_passed(outcome.checks).
CloneOutcome clone_standby(const Config& config, const GlobalOptions& options, const CloneOptions& clone);

}  // namespace pgha
