#pragma once
// pgha.monitoring_history: LSNs and lag over time, pruned by cluster cleanup.
#include <cstdint>

#include "pg/connection.hpp"

namespace pgha::catalog {

// On the primary: one row per registered standby streaming from it (matched by
// application_name = node_name) with its flushed and replayed LSN and lag.
// Returns how many rows were written.
std::int64_t sample_replication(const pg::Connection& primary, int primary_node_id);

// Rows sampled more than `days` days ago (days >= 0; 0 means everything before now).
std::int64_t count_history_older_than(const pg::Connection& connection, int days);
// Deletes them; returns how many were deleted.
std::int64_t delete_history_older_than(const pg::Connection& connection, int days);

}  // namespace pgha::catalog
