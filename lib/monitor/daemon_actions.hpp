#pragma once
// The daemon's blocking actions, run on worker threads. Each logs what it did
// and never throws: the loop decides again next tick.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cluster/node.hpp"
#include "config/config.hpp"

namespace pgha {

// Promotes this node after it won the election of `term`, records
// failover_election and standby_promote, and re-points the other standbys.
// `timeline_floor`: the newest timeline a voter knows of; the promotion starts a newer one.
// Returns whether it was promoted.
bool promote_elected(const Config& config, std::int64_t term, std::size_t votes, int timeline_floor);

// Stops PostgreSQL at once, then runs the fencing hook; records `fencing`.
void fence_node(const Config& config, const std::string& reason);

// Rejoins this (stopped, fenced) node as a standby of the primary at `conninfo`.
void rejoin_as_standby(const Config& config, const std::string& conninfo);

// Records an event of this node where a writable primary can be reached
// (through this node's metadata), else queues it in state_dir; runs the hook.
void record_daemon_event(const Config& config, const std::string& type, bool successful, const std::string& details);

// Writes queued events through the first writable node among `known`.
void flush_pending_events(const Config& config, const std::vector<NodeRecord>& known);

}  // namespace pgha
