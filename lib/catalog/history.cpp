#include "catalog/history.hpp"

namespace pgha::catalog {
namespace {

bool has_history_table(const pg::Connection& connection) {
    return connection.exec("SELECT to_regclass('pgha.timeline_history') IS NOT NULL").boolean(0, 0);
}

}  // namespace

void record_timeline_switch(const pg::Connection& connection, const TimelineSwitchRow& row) {
    if (!has_history_table(connection)) return;
    std::optional<std::string> wal_end;
    if (row.old_primary_wal_end) wal_end = format_lsn(*row.old_primary_wal_end);
    connection.exec(
        "INSERT INTO pgha.timeline_history (timeline, parent_timeline, fork_lsn, reason, term, old_primary_id, "
        "old_primary_name, new_primary_id, new_primary_name, old_primary_wal_end, bytes_beyond_fork) "
        "VALUES ($1, $2, $3::pg_lsn, $4, $5, $6, $7, $8, $9, $10::pg_lsn, $11) "
        "ON CONFLICT (timeline) DO UPDATE SET parent_timeline = EXCLUDED.parent_timeline, "
        "fork_lsn = EXCLUDED.fork_lsn, switched_at = now(), reason = EXCLUDED.reason, term = EXCLUDED.term, "
        "old_primary_id = EXCLUDED.old_primary_id, old_primary_name = EXCLUDED.old_primary_name, "
        "new_primary_id = EXCLUDED.new_primary_id, new_primary_name = EXCLUDED.new_primary_name, "
        "old_primary_wal_end = EXCLUDED.old_primary_wal_end, bytes_beyond_fork = EXCLUDED.bytes_beyond_fork",
        pg::params(row.timeline, row.parent_timeline, format_lsn(row.fork_lsn), row.reason, row.term,
                   row.old_primary_id, row.old_primary_id ? std::optional<std::string>(row.old_primary_name) : std::nullopt,
                   row.new_primary_id, row.new_primary_name, wal_end, row.bytes_beyond_fork));
}

void record_wal_beyond_fork(const pg::Connection& connection, int timeline, int node_id, Lsn wal_end) {
    if (!has_history_table(connection)) return;
    connection.exec(
        "UPDATE pgha.timeline_history SET old_primary_wal_end = $3::pg_lsn, "
        "bytes_beyond_fork = greatest(0, $3::pg_lsn - fork_lsn)::bigint "
        "WHERE timeline = $1 AND old_primary_id = $2",
        pg::params(timeline, node_id, format_lsn(wal_end)));
}

std::vector<TimelineSwitchRow> list_timeline_history(const pg::Connection& connection) {
    std::vector<TimelineSwitchRow> rows;
    if (!has_history_table(connection)) return rows;
    auto result = connection.exec(
        "SELECT timeline, parent_timeline, fork_lsn::text, "
        "to_char(switched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), reason, term, old_primary_id, "
        "old_primary_name, new_primary_id, new_primary_name, old_primary_wal_end::text, bytes_beyond_fork "
        "FROM pgha.timeline_history ORDER BY timeline");
    for (int i = 0; i < result.rows(); ++i) {
        TimelineSwitchRow row;
        row.timeline = static_cast<int>(result.integer(i, 0).value_or(0));
        row.parent_timeline = static_cast<int>(result.integer(i, 1).value_or(0));
        row.fork_lsn = parse_lsn(result.value(i, 2)).value_or(0);
        row.switched_at = result.value(i, 3);
        row.reason = result.value(i, 4);
        row.term = result.integer(i, 5).value_or(0);
        if (auto id = result.integer(i, 6)) row.old_primary_id = static_cast<int>(*id);
        row.old_primary_name = result.optional(i, 7).value_or("");
        row.new_primary_id = static_cast<int>(result.integer(i, 8).value_or(0));
        row.new_primary_name = result.value(i, 9);
        if (auto end = result.optional(i, 10)) row.old_primary_wal_end = parse_lsn(*end);
        row.bytes_beyond_fork = result.integer(i, 11);
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace pgha::catalog
