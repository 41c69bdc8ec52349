#include "catalog/monitoring.hpp"

namespace pgha::catalog {

std::int64_t sample_replication(const pg::Connection& primary, int primary_node_id) {
    auto result = primary.exec(
        "WITH sampled AS (INSERT INTO pgha.monitoring_history "
        "(primary_node_id, standby_node_id, primary_lsn, received_lsn, replayed_lsn, lag_bytes) "
        "SELECT $1, n.node_id, pg_current_wal_insert_lsn(), r.flush_lsn, r.replay_lsn, "
        "pg_wal_lsn_diff(pg_current_wal_insert_lsn(), r.replay_lsn)::bigint "
        "FROM pg_catalog.pg_stat_replication r JOIN pgha.nodes n ON n.node_name = r.application_name "
        "WHERE n.active AND n.node_id <> $1 RETURNING 1) SELECT count(*) FROM sampled",
        pg::params(primary_node_id));
    return result.integer(0, 0).value_or(0);
}

std::int64_t count_history_older_than(const pg::Connection& connection, int days) {
    auto result = connection.exec(
        "SELECT count(*) FROM pgha.monitoring_history WHERE sampled_at < now() - make_interval(days => $1)",
        pg::params(days));
    return result.integer(0, 0).value_or(0);
}

std::int64_t delete_history_older_than(const pg::Connection& connection, int days) {
    auto result = connection.exec(
        "WITH deleted AS (DELETE FROM pgha.monitoring_history "
        "WHERE sampled_at < now() - make_interval(days => $1) RETURNING 1) SELECT count(*) FROM deleted",
        pg::params(days));
    return result.integer(0, 0).value_or(0);
}

}  // namespace pgha::catalog
