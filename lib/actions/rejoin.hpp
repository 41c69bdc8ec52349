#pragma once
// node rejoin: a stopped former primary (or diverged standby) comes back as a
// standby of the current primary, rewound with pg_rewind when its timeline forked.
#include <string>

#include "actions/check.hpp"
#include "actions/options.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"

namespace pgha {

struct RejoinOptions {
    bool force_rewind = false;
    // false: refuse rather than run pg_rewind (a switchover's clean handover
    // never needs it; only its --force-rewind allows it).
    bool allow_rewind = true;
};

struct RejoinOutcome {
    Checks checks;
    bool rewind_needed = false;           // pg_rewind ran (for a dry run: would run)
    std::string message;
    std::optional<NodeRecord> upstream;  // the registered primary it follows (when found)
};

// The primary is given by -d (or -h/-p/-U). With options.dry_run only the
// checks run and nothing changes. Throws a refusal (nothing changed) when a
// check fails, Error(partial) when a step after the first change fails.
RejoinOutcome rejoin_node(const Config& config, const GlobalOptions& options, const RejoinOptions& rejoin);

}  // namespace pgha
