#pragma once
// pgha.timeline_history: one row per timeline switch, for `pgha cluster history`.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/lsn.hpp"
#include "pg/connection.hpp"

namespace pgha::catalog {

struct TimelineSwitchRow {
    int timeline = 0;
    int parent_timeline = 0;
    Lsn fork_lsn = 0;
    std::string switched_at;  // filled when read
    std::string reason;       // failover | switchover | manual_promote | unfence
    std::int64_t term = 0;
    std::optional<int> old_primary_id;
    std::string old_primary_name;
    int new_primary_id = 0;
    std::string new_primary_name;
    std::optional<Lsn> old_primary_wal_end;
    std::optional<std::int64_t> bytes_beyond_fork;
};

// Records (or replaces) the row of `row.timeline`; a schema without the table
// (version 1, before an upgrade) records nothing.
void record_timeline_switch(const pg::Connection& connection, const TimelineSwitchRow& row);

// The old primary of `timeline` rejoined: its WAL ended at `wal_end`, so much
// past the fork. Only the row whose old primary is `node_id` is changed.
void record_wal_beyond_fork(const pg::Connection& connection, int timeline, int node_id, Lsn wal_end);

// Oldest first.
std::vector<TimelineSwitchRow> list_timeline_history(const pg::Connection& connection);

}  // namespace pgha::catalog
