#pragma once
// One monitoring round's observations, gathered with blocking libpq calls (each
// bounded by monitor/deadlines.hpp) on a worker thread, never on the loop.
#include <chrono>
#include <optional>
#include <vector>

#include "catalog/nodes.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"
#include "monitor/server_facts.hpp"
#include "monitor/witness_sync.hpp"

namespace pgha {

struct TickFacts {
    NodeObservation local;
    ServerFacts server;  // for /metrics: LSNs in bytes, replay lag, version, ...
    bool metadata_read = false;
    std::vector<NodeRecord> records;  // as this node's (replicated) metadata has them
    catalog::ClusterState cluster;
    std::optional<NodeRecord> primary;  // the active primary record
    bool primary_writable = false;      // its PostgreSQL answered, not in recovery
    std::optional<Lsn> primary_lsn;     // its WAL insert position, for this standby's lag
};

// `sample_history`: on a writable primary, also write one monitoring_history
// sample per streaming standby. On a writable primary, `witness_sync` brings
// each witness's copy of the metadata up to date when due (without waiting).
TickFacts gather_facts(const Config& config, bool sample_history, WitnessSync& witness_sync);

}  // namespace pgha
