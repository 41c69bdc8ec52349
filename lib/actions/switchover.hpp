#pragma once
// standby switchover (DESIGN.md section 8): this standby becomes the primary
// and the old primary a standby of it, through the daemons (no SSH):
//   hold automatic failover on every daemon -> CHECKPOINT on the old primary
//   -> its daemon stops it cleanly (demote) -> this node confirms it has
//   received the old primary's shutdown checkpoint -> promote in a new term
//   -> the old primary's daemon starts it as a standby of this node (rejoin)
//   while the other standbys are re-pointed (--siblings-follow) -> record
//   standby_switchover, release the holds.
// Refused (exit 3, nothing changed) when a check fails. A failure part way
// is Error(partial) saying what state things are in: when the old primary
// stopped and this node was not promoted, the old primary is started again
// as the primary first.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "actions/check.hpp"
#include "actions/options.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"
#include "core/units.hpp"

namespace pgha {

struct SwitchoverOptions {
    bool siblings_follow = false;
    // Promote even when the clean handover cannot be confirmed, and let the
    // old primary be rewound with pg_rewind when it has to be.
    bool force_rewind = false;
    Millis stop_timeout{30000};  // for the old primary's clean stop
    // A line per step done, with the time since the switchover started.
    std::function<void(Millis at, const std::string& step)> progress = [](Millis, const std::string&) {};
};

struct SwitchoverOutcome {
    Checks checks;
    std::vector<std::string> plan;      // --dry-run: what would be done
    std::vector<std::string> failures;  // standbys that could not follow (the switchover itself succeeded)
    std::optional<NodeRecord> old_primary;  // the primary it replaced (when there is one)
    std::optional<std::int64_t> term;       // the new primary's term (unset for a dry run)
};

SwitchoverOutcome switchover_standby(const Config& config, const GlobalOptions& options,
                                     const SwitchoverOptions& switchover);

}  // namespace pgha
