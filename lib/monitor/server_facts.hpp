#pragma once
// What /metrics reports about the local PostgreSQL beyond the monitoring
// round's observation (probe/probe.hpp): one extra constant query per round,
// on the round's own connection. Unknown values stay nullopt.
#include <cstdint>
#include <optional>

#include "pg/connection.hpp"

namespace pgha {

struct ServerFacts {
    std::optional<double> current_lsn;   // primary: pg_current_wal_lsn(), in bytes
    std::optional<double> received_lsn;  // standby: pg_last_wal_receive_lsn()
    std::optional<double> replayed_lsn;  // standby: pg_last_wal_replay_lsn()
    // 0 on a primary and on a standby that replayed all it received; else the
    // age of the last replayed transaction (pg_last_xact_replay_timestamp()).
    std::optional<double> replay_lag_seconds;
    std::optional<double> pending_restart;  // settings changed that wait for a restart
    std::optional<double> server_version;   // server_version_num
    std::optional<double> postmaster_start;  // pg_postmaster_start_time(), unix seconds
};

// Throws pg::QueryError like any query; the caller keeps the round going.
ServerFacts read_server_facts(const pg::Connection& connection);

}  // namespace pgha
