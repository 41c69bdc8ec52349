#pragma once
// A witness's copy of the cluster metadata. A witness is a separate server
// outside replication, so pgha.nodes and pgha.cluster_state reach it by copy.
#include "pg/connection.hpp"

namespace pgha::catalog {

// Replaces the witness's pgha.nodes and pgha.cluster_state with the primary's,
// in one transaction on the witness (one statement per table, so the
// upstream foreign key is checked only once all rows are in).
// REQUIRES: the pgha schema on both; `witness` not inside a transaction.
void refresh_witness_copy(const pg::Connection& primary, const pg::Connection& witness);

}  // namespace pgha::catalog
