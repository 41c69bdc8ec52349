#pragma once
// standby promote: this standby becomes the primary (pg_promote), the metadata
// records it in a new term, and with --siblings-follow the other standbys are
// re-pointed to it without a restart.
#include <string>

#include "actions/check.hpp"
#include "actions/options.hpp"
#include "config/config.hpp"

namespace pgha {

struct PromoteOptions {
    bool siblings_follow = false;
};

struct PromoteOutcome {
    Checks checks;
    std::vector<std::string> messages;  // what was done, in order
    std::vector<std::string> failures;  // siblings that could not follow
};

// Refuses (nothing changed) when this node is not a standby or another
// registered primary is still reachable and writable (unless --force).
PromoteOutcome promote_standby(const Config& config, const GlobalOptions& options, const PromoteOptions& promote);

}  // namespace pgha
