#pragma once
// What /metrics reports beyond DaemonStatus's own fields (http/health_metrics.cpp
// renders both). Plain data; NaN stands for "unknown" or "not applicable", so
// that every series exists in every role and an unknown value never looks healthy.
#include <cstdint>
#include <limits>
#include <map>
#include <string>

namespace pgha {

struct DaemonMetrics {
    static constexpr double unknown = std::numeric_limits<double>::quiet_NaN();

    std::string cluster = "pgha";  // [daemon] cluster_name: the `cluster` label
    // The local PostgreSQL (monitor/server_facts.hpp).
    double timeline = unknown;
    double current_lsn = unknown;   // bytes; primary only
    double received_lsn = unknown;  // bytes; standby only
    double replayed_lsn = unknown;  // bytes; standby only
    double replay_lag_seconds = unknown;  // 0 on a primary
    double pending_restart = unknown;     // pg_settings rows with pending_restart
    double server_version = unknown;      // server_version_num
    double postmaster_start_seconds = unknown;  // unix time
    // The lease and the vote promise (election/lease.hpp, election/voter.hpp).
    double lease_remaining_seconds = unknown;    // primary only
    double promise_remaining_seconds = unknown;  // this voter's promise to a leader
    double voters_visible = unknown;  // this node and the peers heard from within lease_timeout
    double quorum_size = unknown;     // of the registered nodes
    double primaries_seen = unknown;  // nodes this daemon sees acting as primary
    // Promotions by this daemon, by reason (monitor/failover_clock.hpp), and
    // switchovers that promoted this node.
    std::map<std::string, std::uint64_t> failovers;
    std::uint64_t switchovers = 0;
    // The last failover or switchover that promoted this node.
    double last_detection_seconds = unknown;
    double last_election_seconds = unknown;
    double last_promotion_seconds = unknown;
    double last_total_seconds = unknown;
    double last_write_unavailable_seconds = unknown;
    double last_finished_seconds = unknown;  // unix time
    double last_was_switchover = unknown;    // 1 switchover, 0 failover
};

}  // namespace pgha
