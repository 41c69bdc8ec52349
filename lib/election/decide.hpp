#pragma once
// The standby daemon's decision each tick, pure: a snapshot in, one action and
// the sentence that explains it out (logged every tick, asserted in tests).
// Guards are checked in priority order; when in doubt, do not promote.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "election/lease.hpp"
#include "election/ranking.hpp"

namespace pgha::election {

struct PeerReport {
    int node_id = 0;
    bool reachable = false;   // its daemon answered
    bool sees_primary = false;  // it is connected to the primary right now
    bool unfencing = false;     // a fenced old primary taking its lease back
};

struct StandbySnapshot {
    int self_id = 0;
    bool automatic = true;  // failover.mode
    bool paused = false;
    bool upstream_connected = true;
    Millis upstream_lost_for{0};
    Millis failure_threshold{0};  // reconnect_attempts x reconnect_interval
    bool lease_expired = false;
    Millis lease_remaining{0};
    std::size_t voters = 0;  // active registered nodes, this one included
    std::vector<PeerReport> peers;
    std::vector<Candidate> candidates;  // this node included
    std::uint64_t maximum_lag = 0;
    // fencing.mode = "ping" with two voters: when the peer is lost, reaching a
    // ping target stands in for its vote. nullopt: not checked.
    bool ping_mode = false;
    std::optional<bool> ping_answered;
};

// fencing.mode = "ping" applies to a cluster of exactly two voters; with more,
// the quorum rule decides.
inline bool ping_rule_applies(bool ping_mode, std::size_t voters) { return ping_mode && voters == 2; }

enum class Action { none, wait, start_election };

struct Decision {
    Action action = Action::none;
    std::string reason;
};

// The guards that need no peer reports (connection, mode, pause, timing,
// lease); nullopt when they all pass and the peers must be asked.
std::optional<Decision> check_local_guards(const StandbySnapshot& snapshot);

Decision decide_standby(const StandbySnapshot& snapshot);

}  // namespace pgha::election
