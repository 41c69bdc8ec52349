#pragma once
// What the decision core asks its driver to do (decision/core.hpp): messages
// to broadcast to peers, jobs to run (blocking work on a worker in pghad,
// scheduled events in the simulation), lines to log, a monitoring round to
// gather, when to tick next. Plain data.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "decision/inputs.hpp"
#include "protocol/peer_messages.hpp"

namespace pgha::decision {

// state_for_fenced / unfence_heartbeat: a fenced node's survey of its peers
// and its attempt to take its lease back; on the wire they are /peer/state
// and /peer/heartbeat like the others.
enum class Call { heartbeat, release, state_for_election, state_for_fenced, unfence_heartbeat, vote };

// The /peer/* route a call goes to.
const char* call_path(Call call);
// Whether the answer to `call` is a peer::State (else a peer::Reply).
inline bool answers_with_state(Call call) { return call == Call::state_for_election || call == Call::state_for_fenced; }

struct StateRequest {};
using Outgoing = std::variant<peer::Heartbeat, peer::Release, peer::VoteRequest, StateRequest>;
using Answer = std::variant<peer::Reply, peer::State>;

// Send `message` to every node of `targets`; report each answer (or its
// failure) with Core::on_answer(call_id, ...).
struct Broadcast {
    std::uint64_t call_id = 0;
    Call call = Call::heartbeat;
    std::vector<int> targets;
    Outgoing message;
};

enum class JobKind {
    fence,                      // stop PostgreSQL at once, then the fencing hook; records `fencing`
    promote,                    // promote_elected(term, votes)
    rejoin,                     // rejoin the primary `target` as a standby
    start_in_recovery,          // unfence step 1; result: failure or none
    stop_after_failed_unfence,  // unfence: the quorum round failed
    promote_unfenced,           // unfence step 2, before `deadline`; result: ok, or the failure
    record_event,               // record `event` (no answer expected)
    check_ping,                 // the ping targets; result: answered, detail
};

struct Job {
    std::uint64_t id = 0;
    JobKind kind = JobKind::fence;
    std::string reason;       // fence, promote_unfenced: why it fenced
    std::int64_t term = 0;    // promote: the term won
    std::size_t votes = 0;    // promote
    int timeline_floor = 0;   // promote: the newest timeline the voters know of
    int target = 0;           // rejoin: the node to follow
    TimePoint deadline{};     // promote_unfenced
    std::string event;        // record_event
    bool successful = true;   // record_event
    std::string details;      // record_event
};

struct JobResult {
    bool ok = true;
    std::optional<std::string> failure;  // start_in_recovery, promote_unfenced: what went wrong
    bool answered = false;               // check_ping: a target answered
    std::string detail;                  // check_ping: which, or why none did
};

enum class Level { info, warning };

struct Note {
    Level level = Level::info;
    std::string text;
};

struct Effects {
    std::vector<Note> notes;
    std::vector<Broadcast> broadcasts;
    std::vector<Job> jobs;
    // Gather a monitoring round and hand it to Core::on_facts with this generation.
    std::optional<std::uint64_t> gather;
    // (Re-)arm the tick timer for this delay.
    std::optional<Millis> tick_in;
};

}  // namespace pgha::decision
