#pragma once
// standby follow: re-point a running standby to another upstream without a
// restart (ALTER SYSTEM primary_conninfo + reload), after checking that its
// timeline lets it follow. Used by `standby follow` and by promote's
// --siblings-follow (which re-points standbys from afar, over SQL).
#include <chrono>
#include <optional>
#include <string>

#include "actions/check.hpp"
#include "actions/options.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"
#include "pg/connection.hpp"

namespace pgha {

struct FollowRequest {
    NodeRecord follower;
    NodeRecord target;
    bool use_slot = true;
    bool dry_run = false;
    std::chrono::milliseconds wait{30000};
    std::string rejoin_hint;  // the exact command to give when the timelines diverged
};

struct FollowOutcome {
    Checks checks;
    std::string message;
    NodeRecord upstream;  // the node followed (or, for a dry run, that would be)
    std::optional<std::chrono::milliseconds> streaming_after;  // from the reload until it streamed
};

// `follower`: a superuser connection to the standby. Throws a refusal (nothing
// changed) when a check fails, and Error(partial) when the re-pointed standby
// does not stream within the wait. Records nothing; callers emit the event.
FollowOutcome repoint_standby(const pg::Connection& follower, const FollowRequest& request);

// The `pgha standby follow` command on this node.
FollowOutcome follow_standby(const Config& config, const GlobalOptions& options, std::optional<int> upstream_node_id);

}  // namespace pgha
