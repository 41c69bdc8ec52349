#pragma once
// Who may take a node_id and node_name in the metadata.
#include "config/config.hpp"
#include "pg/connection.hpp"

namespace pgha {

// Refuses a registration that would take another node's ID or name (reading
// pgha.nodes through `primary`). An existing record for this very node is
// replaced only with `force`.
void check_identity(const pg::Connection& primary, const Config& config, bool force);

}  // namespace pgha
