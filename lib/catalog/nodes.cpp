#include "catalog/nodes.hpp"

#include <fmt/format.h>

namespace pgha::catalog {
namespace {

constexpr const char* node_columns =
    "node_id, node_name, type, upstream_node_id, active, location, priority, conninfo, repluser, "
    "slot_name, data_directory, daemon_listen";

std::vector<NodeRecord> read_nodes(const pg::Result& result) {
    std::vector<NodeRecord> nodes;
    for (int row = 0; row < result.rows(); ++row) {
        NodeRecord node;
        node.node_id = static_cast<int>(*result.integer(row, 0));
        node.node_name = result.value(row, 1);
        node.type = result.value(row, 2);
        if (auto upstream = result.integer(row, 3)) node.upstream_node_id = static_cast<int>(*upstream);
        node.active = result.boolean(row, 4);
        node.location = result.value(row, 5);
        node.priority = static_cast<int>(*result.integer(row, 6));
        node.conninfo = result.value(row, 7);
        node.repluser = result.value(row, 8);
        node.slot_name = result.optional(row, 9);
        node.data_directory = result.value(row, 10);
        node.daemon_listen = result.value(row, 11);
        nodes.push_back(std::move(node));
    }
    return nodes;
}

std::optional<NodeRecord> first(std::vector<NodeRecord> nodes) {
    if (nodes.empty()) return std::nullopt;
    return std::move(nodes.front());
}

}  // namespace

std::vector<NodeRecord> list_nodes(const pg::Connection& connection) {
    return read_nodes(connection.exec(fmt::format("SELECT {} FROM pgha.nodes ORDER BY node_id", node_columns)));
}

std::optional<NodeRecord> find_node(const pg::Connection& connection, int node_id) {
    return first(read_nodes(connection.exec(
        fmt::format("SELECT {} FROM pgha.nodes WHERE node_id = $1", node_columns), pg::params(node_id))));
}

std::optional<NodeRecord> find_node_by_name(const pg::Connection& connection, const std::string& name) {
    return first(read_nodes(connection.exec(
        fmt::format("SELECT {} FROM pgha.nodes WHERE node_name = $1", node_columns), pg::params(name))));
}

std::optional<NodeRecord> find_active_primary(const pg::Connection& connection) {
    return first(read_nodes(connection.exec(fmt::format(
        "SELECT {} FROM pgha.nodes WHERE type = 'primary' AND active ORDER BY node_id", node_columns))));
}

void upsert_node(const pg::Connection& connection, const NodeRecord& n) {
    connection.exec(
        "INSERT INTO pgha.nodes (node_id, node_name, type, upstream_node_id, active, location, priority, "
        "conninfo, repluser, slot_name, data_directory, daemon_listen) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
        "ON CONFLICT (node_id) DO UPDATE SET node_name = EXCLUDED.node_name, type = EXCLUDED.type, "
        "upstream_node_id = EXCLUDED.upstream_node_id, active = EXCLUDED.active, location = EXCLUDED.location, "
        "priority = EXCLUDED.priority, conninfo = EXCLUDED.conninfo, repluser = EXCLUDED.repluser, "
        "slot_name = EXCLUDED.slot_name, data_directory = EXCLUDED.data_directory, "
        "daemon_listen = EXCLUDED.daemon_listen, registered_at = now()",
        pg::params(n.node_id, n.node_name, n.type, n.upstream_node_id, n.active, n.location, n.priority,
                   n.conninfo, n.repluser, n.slot_name, n.data_directory, n.daemon_listen));
}

void delete_node(const pg::Connection& connection, int node_id) {
    connection.exec("DELETE FROM pgha.nodes WHERE node_id = $1", pg::params(node_id));
}

void deactivate_node(const pg::Connection& connection, int node_id) {
    connection.exec("UPDATE pgha.nodes SET active = false WHERE node_id = $1", pg::params(node_id));
}

void set_standby_of(const pg::Connection& connection, int node_id, int upstream_node_id) {
    connection.exec("UPDATE pgha.nodes SET type = 'standby', upstream_node_id = $2, active = true WHERE node_id = $1",
                    pg::params(node_id, upstream_node_id));
}

std::int64_t record_promotion(const pg::Connection& connection, int node_id, std::optional<std::int64_t> elected_term) {
    connection.exec("UPDATE pgha.nodes SET active = false WHERE type = 'primary' AND node_id <> $1",
                    pg::params(node_id));
    connection.exec("UPDATE pgha.nodes SET type = 'primary', upstream_node_id = NULL, active = true WHERE node_id = $1",
                    pg::params(node_id));
    auto result = connection.exec(
        "UPDATE pgha.cluster_state SET term = greatest(term + 1, coalesce($2::bigint, 0)), primary_node_id = $1, "
        "updated_at = now() RETURNING term",
        pg::params(node_id, elected_term));
    return result.integer(0, 0).value_or(0);
}

std::vector<NodeRecord> downstream_nodes(const pg::Connection& connection, int node_id) {
    return read_nodes(connection.exec(
        fmt::format("SELECT {} FROM pgha.nodes WHERE upstream_node_id = $1 AND active ORDER BY node_id",
                    node_columns),
        pg::params(node_id)));
}

ClusterState cluster_state(const pg::Connection& connection) {
    auto result = connection.exec("SELECT term, primary_node_id FROM pgha.cluster_state");
    ClusterState state;
    if (result.rows() == 0) return state;
    state.term = result.integer(0, 0).value_or(1);
    if (auto id = result.integer(0, 1)) state.primary_node_id = static_cast<int>(*id);
    return state;
}

void set_primary(const pg::Connection& connection, int node_id) {
    connection.exec("UPDATE pgha.cluster_state SET primary_node_id = $1, updated_at = now()",
                    pg::params(node_id));
}

}  // namespace pgha::catalog
