#pragma once
// The messages between `pgha standby switchover` (run on the candidate) and the
// daemons (DESIGN.md section 8): JSON bodies of signed POST /peer/* requests.
// Pure encode/decode; decode throws BadRequest (HTTP 400) on malformed input.
//
//   /peer/hold              every daemon: no automatic failover until hold_ms
//                           from now (0 releases); runs out by itself if the
//                           CLI dies, and only one switchover may hold a daemon
//   /peer/demote            the old primary's daemon stops PostgreSQL cleanly
//   /peer/rejoin            ... restarts it as a standby of the new primary
//   /peer/resume            ... restarts it as the primary (the switchover failed)
//   /peer/switchover-state  what a daemon holds and the outcome of its last step
//
// demote, rejoin and resume answer at once and run on a worker thread; the CLI
// polls /peer/switchover-state until the step is no longer running.
#include <cstdint>
#include <optional>
#include <string>

#include "core/lsn.hpp"

namespace pgha::switchover {

struct Hold {
    std::string id;  // the switchover's random id
    std::int64_t hold_ms = 0;
};

struct Demote {
    std::string id;
    std::int64_t stop_timeout_ms = 0;
};

struct Rejoin {
    std::string id;
    int primary_node_id = 0;  // the daemon takes its conninfo from its own metadata
    bool allow_rewind = false;
};

struct Resume {
    std::string id;
};

enum class StepState { running, done, failed };

// The last step a daemon ran for a switchover, and what came of it.
struct Step {
    std::string id;
    std::string name;  // demote | rejoin | resume
    StepState state = StepState::running;
    std::string message;                // what happened, in a sentence for the CLI to print
    std::optional<Lsn> checkpoint_lsn;  // demote: the shutdown checkpoint from pg_control
    int timeline = 0;                   // demote: its timeline
    bool clean = false;                 // demote: pg_control says "shut down"
    bool running_as_primary = false;    // PostgreSQL accepts writes again (a failed demote, a resume)
    bool refused = false;               // failed before changing anything (e.g. not a running primary)
};

struct State {
    int node_id = 0;
    std::string role;  // as the daemon saw it last
    std::int64_t term = 0;
    bool paused = false;
    std::string hold_id;        // empty: no hold
    std::int64_t hold_ms = 0;   // how long the hold lasts yet
    bool service_ready = false;  // the [service] stop and start commands can be run
    std::string service_detail;
    std::optional<Step> step;
};

std::string encode(const Hold& m);
std::string encode(const Demote& m);
std::string encode(const Rejoin& m);
std::string encode(const Resume& m);
std::string encode(const State& m);

Hold decode_hold(const std::string& body);
Demote decode_demote(const std::string& body);
Rejoin decode_rejoin(const std::string& body);
Resume decode_resume(const std::string& body);
State decode_state(const std::string& body);

std::string to_string(StepState state);

}  // namespace pgha::switchover
