#pragma once
// The row of `pgha cluster history` that a promotion of this node writes.
#include <cstdint>
#include <optional>
#include <string>

#include "cluster/node.hpp"
#include "config/config.hpp"
#include "pg/connection.hpp"

namespace pgha {

// Called on this node's server right after it was promoted (it is writable):
// `timeline`, the one it started (writing_timeline), forked where its
// history file says, why
// (failover | switchover | manual_promote | unfence) and in which term. A
// switchover and an unfence lose nothing, so their WAL beyond the fork is 0;
// after a failover the old primary's rejoin fills it in. Best effort: a
// history that cannot be read is logged, never fails the promotion.
void record_promotion_history(const Config& config, const pg::Connection& local, int timeline,
                              const std::string& reason, std::int64_t term,
                              const std::optional<NodeRecord>& old_primary);

}  // namespace pgha
