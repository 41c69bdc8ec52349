#pragma once
// standby promote: this standby becomes the primary (pg_promote), the metadata
// records it in a new term, and with --siblings-follow the other standbys are
// re-pointed to it without a restart.
#include <string>

#include "actions/check.hpp"
#include "actions/options.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"
#include "pg/connection.hpp"

namespace pgha {

struct PromoteOptions {
    bool siblings_follow = false;
};

struct PromoteOutcome {
    Checks checks;
    std::vector<std::string> messages;  // what was done, in order
    std::vector<std::string> failures;  // siblings that could not follow
    // What the promotion gave (unset for a dry run).
    std::optional<std::int64_t> term;
    std::optional<int> timeline;           // the one the new primary writes
    std::optional<NodeRecord> old_primary;  // the primary record it replaced
    std::vector<NodeRecord> followed;       // siblings re-pointed to it
};

// Promotes the server behind `local` (this node) now, without the command's
// checks, records it (in `elected_term` when an election chose it) and with
// `siblings_follow` re-points the other standbys. Used by promote_standby, the
// switchover and the daemon after it won an election; `reason` names which in
// the cluster history (manual_promote | switchover | failover).
PromoteOutcome promote_now(const Config& config, const pg::Connection& local, const std::vector<NodeRecord>& records,
                           std::optional<std::int64_t> elected_term, bool siblings_follow, const std::string& reason);

// Re-points every other active standby in `records` to `self`, the new primary
// behind `primary`, without a restart, recording standby_follow for each; the
// ones that cannot follow are added to outcome.failures.
void siblings_follow(const Config& config, const pg::Connection& primary, const std::vector<NodeRecord>& records,
                     const NodeRecord& self, PromoteOutcome& outcome);

// Refuses (nothing changed) when this node is not a standby or another
// registered primary is still reachable and writable (unless --force).
PromoteOutcome promote_standby(const Config& config, const GlobalOptions& options, const PromoteOptions& promote);

}  // namespace pgha
