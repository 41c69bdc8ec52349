#include "monitor/server_facts.hpp"

#include <cstdlib>
#include <string>

namespace pgha {
namespace {

// Constant: no parameters. LSNs as numeric byte positions (text, parsed as a
// double: exact up to 2^53 bytes, 8 PiB of WAL).
constexpr const char* server_facts_sql = R"SQL(
SELECT (CASE WHEN NOT r THEN pg_current_wal_lsn() - '0/0'::pg_lsn END)::text AS current_lsn,
       -- A promoted primary keeps its last received and replayed positions: a standby's facts only.
       (CASE WHEN r THEN pg_last_wal_receive_lsn() - '0/0'::pg_lsn END)::text AS received_lsn,
       (CASE WHEN r THEN pg_last_wal_replay_lsn() - '0/0'::pg_lsn END)::text AS replayed_lsn,
       (CASE WHEN NOT r THEN 0
             WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
             ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END)::text AS replay_lag,
       (SELECT count(*) FROM pg_settings WHERE pending_restart)::text AS pending_restart,
       current_setting('server_version_num') AS server_version,
       extract(epoch FROM pg_postmaster_start_time())::text AS postmaster_start
  FROM (SELECT pg_is_in_recovery() AS r) AS recovery
)SQL";

std::optional<double> number(const pg::Result& result, int column) {
    auto text = result.optional(0, column);
    if (!text) return std::nullopt;
    char* end = nullptr;
    double value = std::strtod(text->c_str(), &end);
    if (end == text->c_str()) return std::nullopt;
    return value;
}

}  // namespace

ServerFacts read_server_facts(const pg::Connection& connection) {
    auto result = connection.exec(server_facts_sql);
    ServerFacts facts;
    if (result.rows() == 0) return facts;
    facts.current_lsn = number(result, 0);
    facts.received_lsn = number(result, 1);
    facts.replayed_lsn = number(result, 2);
    facts.replay_lag_seconds = number(result, 3);
    facts.pending_restart = number(result, 4);
    facts.server_version = number(result, 5);
    facts.postmaster_start = number(result, 6);
    return facts;
}

}  // namespace pgha
