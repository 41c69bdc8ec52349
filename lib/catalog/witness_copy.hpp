#pragma once
// A witness's copy of the cluster metadata. A witness is a separate server
// outside replication, so pgha.nodes and pgha.cluster_state reach it by copy.
#include "pg/connection.hpp"

namespace pgha::catalog {

// What to do when the witness's copy holds a newer term than the primary's:
// `keep` it (the daemons: a stale former primary must not undo what the
// current one copied), or `replace` it (witness register: the server may
// have served another cluster before).
enum class NewerTerm { keep, replace };

// Replaces the witness's pgha.nodes and pgha.cluster_state with the primary's,
// in one transaction on the witness (one statement per table, so the
// upstream foreign key is checked only once all rows are in). Returns false,
// changing nothing, when a newer term on the witness was kept.
// REQUIRES: the pgha schema on both; `witness` not inside a transaction.
bool refresh_witness_copy(const pg::Connection& primary, const pg::Connection& witness, NewerTerm newer_term);

}  // namespace pgha::catalog
