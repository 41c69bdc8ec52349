#pragma once
// What the decision core is told and what it keeps (decision/core.hpp): the
// settings it decides with, the durable record, one monitoring round's facts,
// and the status it exposes. Plain data.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/lsn.hpp"
#include "election/lease.hpp"
#include "election/voter.hpp"

namespace pgha::decision {

using election::Millis;
using election::TimePoint;

enum class Role { unknown, primary, standby, witness };
enum class FailoverMode { automatic, manual };
enum class FencingMode { quorum, ping, off };

const char* role_name(Role role);

// What the driver saw happen between monitoring rounds (pghad: the pidfd on
// the postmaster, the persistent connection to the upstream).
enum class Detected {
    postmaster_crashed,  // the postmaster exited and pg_control does not say "shut down"
    postmaster_stopped,  // the postmaster exited after a clean shutdown (pg_ctl stop -m fast/smart)
    upstream_lost,       // the connection to the primary this node streams from broke
};

// The [failover] and [fencing] settings and this node's identity.
struct Settings {
    int node_id = 0;
    int priority = 100;
    FailoverMode failover_mode = FailoverMode::automatic;
    FencingMode fencing_mode = FencingMode::quorum;
    bool auto_rejoin = true;
    std::size_t ping_targets = 0;  // how many; each check takes up to 1 s
    Millis monitor_interval{1000};
    int reconnect_attempts = 3;
    Millis reconnect_interval{1000};
    Millis lease_timeout{10'000};
    std::uint64_t maximum_lag = 16ULL << 20;
};

// What is kept in [daemon] state_dir.
struct Durable {
    election::VoterRecord voter;
    bool paused = false;
};

// A registered node as this node's (replicated) metadata has it.
struct Member {
    int node_id = 0;
    bool witness = false;
    int priority = 100;
    bool has_daemon = false;  // a daemon address is registered: a peer to ask
};

// This node's own PostgreSQL as read just now.
struct LocalRead {
    bool reachable = false;
    bool in_recovery = false;
    std::optional<Lsn> lsn;  // received (standby) or current (primary)
    std::string error;       // why it did not answer
    int newest_timeline = 0;  // of the history files in pg_wal (0: not read)
};

// One monitoring round (monitor/facts.hpp gathers it).
struct Facts {
    LocalRead local;
    bool metadata_read = false;
    std::vector<Member> members;  // when metadata_read; else the last round's are kept
    std::int64_t cluster_term = 0;
    int cluster_primary = 0;
    bool primary_writable = false;  // the registered primary answered, not in recovery
};

// What the core knows and decided, for /status, /metrics and peers.
struct Status {
    Role role = Role::unknown;
    bool postgres_up = false;
    bool writable = false;
    bool fenced = false;
    std::string fence_reason;
    std::int64_t term = 0;
    bool paused = false;
    std::optional<Lsn> lsn;
    std::optional<TimePoint> last_primary_contact;
    std::uint64_t failovers = 0;
    std::string last_decision;
    // Peers that promise another duration than this node's lease_timeout, in
    // a sentence; empty when all agree (or nothing was heard yet).
    std::string lease_mismatch;
};

}  // namespace pgha::decision
