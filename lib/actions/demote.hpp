#pragma once
// The old primary's part of a switchover (DESIGN.md section 8), run by its
// pghad on a worker thread: stop PostgreSQL cleanly and read where its WAL
// ends, or start it again as the primary when the switchover is abandoned.
// (Restarting it as a standby of the new primary is rejoin_node's job.)
// Blocking, bounded by the timeouts given; these never throw.
#include <optional>
#include <string>

#include "config/config.hpp"
#include "core/lsn.hpp"
#include "core/units.hpp"

namespace pgha {

struct DemoteOutcome {
    bool stopped = false;  // PostgreSQL is down
    bool clean = false;    // pg_control says "shut down": the WAL ends with the shutdown checkpoint
    std::optional<Lsn> checkpoint_lsn;
    int timeline = 0;
    bool running_as_primary = false;  // not stopped: it runs (again) and accepts writes
    bool refused = false;             // nothing was done: PostgreSQL is not a running primary here
    std::string message;              // what happened, in a sentence
};

// Refuses (changing nothing) unless PostgreSQL runs here as a writable primary.
// Runs the [service] stop command (default pg_ctl -m fast) and watches the
// postmaster exit, all within `timeout`. When it does not stop in time the
// switchover is abandoned: a server that still accepts writes is left alone,
// one that is down or going down is (after it is gone) started again, so that
// the node ends as the primary either way.
DemoteOutcome demote_primary(const Config& config, Millis timeout);

struct ResumeOutcome {
    bool running_as_primary = false;
    std::string message;
};

// Starts this node's stopped PostgreSQL as it was (the primary) and waits
// until it accepts writes.
ResumeOutcome resume_primary(const Config& config);

struct ServiceReadiness {
    bool ready = false;
    std::string detail;  // the programs that would run, or what is wrong
};

// Whether the programs of the [service] stop and start commands (or pg_ctl)
// exist and are executable here, and data_directory exists. Changes nothing.
ServiceReadiness service_readiness(const Config& config);

}  // namespace pgha
