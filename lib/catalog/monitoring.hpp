#pragma once
// pgha.monitoring_history: LSNs and lag over time, pruned by cluster cleanup.
#include <cstdint>

#include "pg/connection.hpp"

namespace pgha::catalog {

// Rows sampled more than `days` days ago (days >= 0; 0 means everything before now).
std::int64_t count_history_older_than(const pg::Connection& connection, int days);
// Deletes them; returns how many were deleted.
std::int64_t delete_history_older_than(const pg::Connection& connection, int days);

}  // namespace pgha::catalog
