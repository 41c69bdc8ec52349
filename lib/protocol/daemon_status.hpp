#pragma once
// What a daemon knows about its node at one moment: served by /status, /metrics
// and the health endpoints, and shown by `pgha daemon status`. Plain data.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/lsn.hpp"
#include "protocol/daemon_metrics.hpp"

namespace pgha {

struct DaemonStatus {
    int node_id = 0;
    std::string node_name;
    std::string role = "unknown";  // primary | standby | witness | unknown (PostgreSQL down)
    bool postgres_up = false;
    bool writable = false;   // a primary not in recovery, accepting writes
    bool streaming = false;  // a standby whose WAL receiver streams
    std::optional<std::string> upstream;  // node name the standby streams from
    std::int64_t term = 0;
    bool paused = false;
    bool fenced = false;
    std::string fence_reason;  // why it fenced itself, while fenced
    std::string role_mismatch;  // "registered as primary but running as standby", or empty
    std::optional<Lsn> lsn;
    std::optional<std::int64_t> lag_bytes;
    std::optional<std::int64_t> last_primary_contact_ms;  // age of the last contact with the primary
    std::uint64_t failovers = 0;      // promotions this daemon performed
    std::uint64_t hook_failures = 0;  // event and fencing hooks that failed
    std::string last_decision;        // one sentence: what the daemon decided last tick and why
    std::int64_t lease_timeout_ms = 0;  // this node's [failover] lease_timeout; 0 = not reported
    // Empty, or which voters promise other leases than this node's, as one
    // sentence: "node 2 promises 3000 ms, node 3 promises 10000 ms".
    std::string lease_mismatch;
    // The config's [tags]: free strings, and noloadbalance / nofailover ("true" or "false").
    std::map<std::string, std::string> tags;
    // Age of the last tick of the daemon's loop (its timer), and the bound
    // /liveness allows (3 x monitor_interval + 1 s); nullopt: no tick yet.
    std::optional<std::int64_t> last_tick_ms;
    std::int64_t liveness_bound_ms = 0;
    // /readiness's lag bound when the request names none (not part of the JSON).
    std::uint64_t maximum_lag_on_failover = 16ULL << 20;
    DaemonMetrics metrics;  // only /metrics shows these (not part of /status's JSON)
};

}  // namespace pgha
