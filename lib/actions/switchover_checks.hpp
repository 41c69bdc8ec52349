#pragma once
// What `pgha standby switchover` checks before it changes anything (and all
// that --dry-run does): one snapshot of the cluster, gathered at once, and the
// checks computed from it by a pure function.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actions/check.hpp"
#include "actions/switchover_client.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"
#include "pg/connection.hpp"

namespace pgha {

struct SwitchoverView {
    NodeRecord self;                    // the candidate (this node)
    std::optional<NodeRecord> primary;  // the active primary in the metadata
    std::vector<NodeRecord> records;    // every active registered node
    std::vector<NodeObservation> seen;  // per record
    std::vector<DaemonAnswer> daemons;  // per record
    std::string secret_error;           // why the cluster secret cannot be used; empty when it can
    std::int64_t cluster_term = 0;

    // This node.
    bool in_recovery = false;
    bool streams_from_primary = false;  // on the primary's timeline
    bool replay_paused = false;
    std::optional<std::int64_t> replay_lag;  // bytes of WAL behind the primary's insert position
    int max_wal_senders = 0;
    int wal_senders_in_use = 0;
    int max_replication_slots = 0;
    std::vector<std::string> slots;  // the replication slots here

    // The old primary.
    std::optional<bool> wal_log_hints;
    std::optional<bool> data_checksums;
};

struct SwitchoverLimits {
    std::uint64_t maximum_lag = 0;  // replay lag allowed on the candidate
    bool use_slots = true;
    bool force_rewind = false;
};

// Reads the snapshot through `local` (this node's server) and every node and
// daemon, all at once; nothing is changed. Throws a refusal when this node is
// not registered.
SwitchoverView gather_switchover_view(const Config& config, const pg::Connection& local);

// The checks, in the order they are printed. Pure.
Checks switchover_checks(const SwitchoverView& view, const SwitchoverLimits& limits);

// The nodes that stream from the new primary after the switchover: the old
// primary and the other standbys (no witness).
std::vector<NodeRecord> standbys_after(const SwitchoverView& view);

}  // namespace pgha
