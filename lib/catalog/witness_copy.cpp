#include "catalog/witness_copy.hpp"

namespace pgha::catalog {

void refresh_witness_copy(const pg::Connection& primary, const pg::Connection& witness) {
    auto nodes = primary.exec("SELECT coalesce(json_agg(n ORDER BY n.node_id), '[]')::text FROM pgha.nodes AS n");
    auto state = primary.exec("SELECT coalesce(json_agg(s), '[]')::text FROM pgha.cluster_state AS s");
    witness.begin();
    try {
        witness.exec("DELETE FROM pgha.cluster_state");
        witness.exec("DELETE FROM pgha.nodes");
        witness.exec("INSERT INTO pgha.nodes SELECT * FROM json_populate_recordset(NULL::pgha.nodes, $1::json)",
                     pg::params(nodes.value(0, 0)));
        witness.exec(
            "INSERT INTO pgha.cluster_state SELECT * FROM json_populate_recordset(NULL::pgha.cluster_state, $1::json)",
            pg::params(state.value(0, 0)));
        witness.commit();
    } catch (...) {
        try {
            witness.exec("ROLLBACK");
        } catch (...) {
        }
        throw;
    }
}

}  // namespace pgha::catalog
