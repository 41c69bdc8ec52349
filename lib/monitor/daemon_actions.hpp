#pragma once
// The daemon's blocking actions, run on worker threads. Each logs what it did
// and never throws: the loop decides again next tick.
#include <cstdint>
#include <string>

#include "config/config.hpp"

namespace pgha {

// Promotes this node after it won the election of `term`, records
// failover_election and standby_promote, and re-points the other standbys.
void promote_elected(const Config& config, std::int64_t term, std::size_t votes);

// Runs the fencing hook, then stops PostgreSQL at once; records `fencing`.
void fence_node(const Config& config, const std::string& reason);

// Rejoins this (stopped, fenced) node as a standby of the primary at `conninfo`.
void rejoin_as_standby(const Config& config, const std::string& conninfo);

// Records an event of this node where a writable primary can be reached
// (through this node's metadata), else only runs the hook.
void record_daemon_event(const Config& config, const std::string& type, bool successful, const std::string& details);

}  // namespace pgha
