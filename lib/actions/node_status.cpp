#include "actions/node_status.hpp"

#include <fmt/format.h>

#include "actions/connect.hpp"
#include "actions/node_lookup.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "pg/conninfo.hpp"

namespace pgha {
namespace {

// One round trip for the role, the LSNs, the timeline and the WAL receiver.
constexpr const char* basics_sql = R"SQL(
SELECT r AS in_recovery,
       CASE WHEN NOT r THEN pg_current_wal_lsn()::text END AS current_lsn,
       CASE WHEN r THEN pg_last_wal_receive_lsn()::text END AS received_lsn,
       CASE WHEN r THEN pg_last_wal_replay_lsn()::text END AS replayed_lsn,
       CASE WHEN r THEN coalesce(w.received_tli, (SELECT timeline_id FROM pg_control_checkpoint()))
            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline,
       CASE WHEN r THEN
            CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                 ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END
       END AS replay_delay,
       w.status, w.sender_host, w.sender_port
  FROM (SELECT pg_is_in_recovery() AS r) AS recovery
  LEFT JOIN pg_stat_wal_receiver AS w ON true
)SQL";

// libpq messages span lines; a status field is one line.
std::string one_line(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\n' || c == '\t') c = ' ';
        if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
        out += c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::optional<Lsn> lsn_at(const pg::Result& result, int row, int column) {
    auto text = result.optional(row, column);
    return text ? parse_lsn(*text) : std::nullopt;
}

void read_basics(const pg::Connection& local, NodeStatus& status) {
    auto result = local.exec(basics_sql);
    bool recovery = result.boolean(0, 0);
    status.role = recovery ? "standby" : "primary";
    status.current_lsn = lsn_at(result, 0, 1);
    status.received_lsn = lsn_at(result, 0, 2);
    status.replayed_lsn = lsn_at(result, 0, 3);
    if (auto tli = result.integer(0, 4)) status.timeline = static_cast<int>(*tli);
    if (auto delay = result.optional(0, 5)) status.replay_delay_seconds = std::stod(*delay);
    status.wal_receiver_status = result.optional(0, 6);
    auto host = result.optional(0, 7);
    auto port = result.optional(0, 8);
    if (host) status.upstream = port ? *host + ":" + *port : *host;
}

void read_slots(const pg::Connection& local, NodeStatus& status) {
    auto result = local.exec("SELECT slot_name, slot_type, active FROM pg_catalog.pg_replication_slots ORDER BY slot_name");
    for (int row = 0; row < result.rows(); ++row)
        status.slots.push_back({result.value(row, 0), result.value(row, 1), result.boolean(row, 2)});
}

void read_archive(const pg::Connection& local, ArchiveState& archive) {
    auto result = local.exec(
        "SELECT current_setting('archive_mode'), archived_count, failed_count, last_failed_wal, "
        "last_failed_time::text FROM pg_catalog.pg_stat_archiver");
    archive.mode = result.value(0, 0);
    archive.archived_count = result.integer(0, 1).value_or(0);
    archive.failed_count = result.integer(0, 2).value_or(0);
    archive.last_failed_wal = result.optional(0, 3);
    archive.last_failed_time = result.optional(0, 4);
    try {
        auto ready = local.exec("SELECT count(*) FROM pg_catalog.pg_ls_archive_statusdir() WHERE name LIKE '%.ready'");
        archive.ready_count = ready.integer(0, 0);
    } catch (const pg::QueryError& error) {
        // Needs superuser or pg_monitor.
        archive.ready_error = one_line(error.what());
    }
}

void read_pending_restart(const pg::Connection& local, NodeStatus& status) {
    auto result = local.exec("SELECT name FROM pg_catalog.pg_settings WHERE pending_restart ORDER BY name");
    for (int row = 0; row < result.rows(); ++row) status.pending_restart.push_back(result.value(row, 0));
}

void read_downstream(const pg::Connection& local, NodeStatus& status) {
    auto result = local.exec(
        "SELECT application_name, coalesce(host(client_addr), 'local'), state, sync_state "
        "FROM pg_catalog.pg_stat_replication ORDER BY application_name");
    for (int row = 0; row < result.rows(); ++row)
        status.downstream.push_back(
            {result.value(row, 0), result.value(row, 1), result.value(row, 2), result.value(row, 3)});
}

// The registered node listening at host:port, as cluster show matches it.
void read_registration(const Config& config, const pg::Connection& local, NodeStatus& status) {
    if (catalog::schema_version(local) == 0) return;
    if (auto record = catalog::find_node(local, config.node_id)) status.registered_type = record->type;
    if (!status.upstream) return;
    auto colon = status.upstream->rfind(':');  // "host:port" as read_replication writes it
    if (colon != std::string::npos)
        status.upstream_name = node_name_at(catalog::list_nodes(local), status.upstream->substr(0, colon),
                                            status.upstream->substr(colon + 1));
}

void read_lag(const pg::Connection& local, NodeStatus& status) {
    if (status.role != "standby") return;
    try {
        auto primary = connect_primary(local);
        auto insert = primary.exec("SELECT pg_current_wal_insert_lsn()::text");
        auto primary_lsn = parse_lsn(insert.value(0, 0));
        auto replayed = status.replayed_lsn ? status.replayed_lsn : status.received_lsn;
        if (!primary_lsn || !replayed) {
            status.lag_error = "this standby has not replayed any WAL yet";
            return;
        }
        status.lag_bytes = *primary_lsn > *replayed ? static_cast<std::int64_t>(*primary_lsn - *replayed) : 0;
    } catch (const Error& error) {
        status.lag_error =
            one_line(error.detail().empty() ? error.what() : std::string(error.what()) + ": " + error.detail());
    }
}

}  // namespace

NodeStatus gather_node_status(const Config& config, const pg::Connection& local) {
    NodeStatus status;
    status.node_id = config.node_id;
    status.node_name = config.node_name;
    read_basics(local, status);
    read_registration(config, local, status);
    read_slots(local, status);
    read_archive(local, status.archive);
    read_pending_restart(local, status);
    read_downstream(local, status);
    read_lag(local, status);
    return status;
}

NodeStatus node_status(const Config& config) {
    auto local = connect_local(config);
    return gather_node_status(config, local);
}

}  // namespace pgha
