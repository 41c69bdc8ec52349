#include "catalog/witness_copy.hpp"

namespace pgha::catalog {

bool refresh_witness_copy(const pg::Connection& primary, const pg::Connection& witness, NewerTerm newer_term) {
    auto nodes = primary.exec("SELECT coalesce(json_agg(n ORDER BY n.node_id), '[]')::text FROM pgha.nodes AS n");
    auto state = primary.exec("SELECT coalesce(json_agg(s), '[]')::text, coalesce(max(s.term), 0) "
                              "FROM pgha.cluster_state AS s");
    witness.begin();
    try {
        // Two copies at once (two daemons, or one and the CLI) compare terms one
        // after the other; the SELECT after the lock sees what the first committed.
        witness.exec("LOCK TABLE pgha.cluster_state IN SHARE ROW EXCLUSIVE MODE");
        auto held = witness.exec("SELECT max(term) FROM pgha.cluster_state");
        if (newer_term == NewerTerm::keep && held.integer(0, 0).value_or(0) > state.integer(0, 1).value_or(0)) {
            witness.exec("ROLLBACK");
            return false;
        }
        witness.exec("DELETE FROM pgha.cluster_state");
        witness.exec("DELETE FROM pgha.nodes");
        witness.exec("INSERT INTO pgha.nodes SELECT * FROM json_populate_recordset(NULL::pgha.nodes, $1::json)",
                     pg::params(nodes.value(0, 0)));
        witness.exec(
            "INSERT INTO pgha.cluster_state SELECT * FROM json_populate_recordset(NULL::pgha.cluster_state, $1::json)",
            pg::params(state.value(0, 0)));
        witness.commit();
        return true;
    } catch (...) {
        try {
            witness.exec("ROLLBACK");
        } catch (...) {
        }
        throw;
    }
}

}  // namespace pgha::catalog
