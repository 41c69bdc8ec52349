#pragma once
// pgha.nodes: the registered nodes.
#include <optional>
#include <vector>

#include "cluster/node.hpp"
#include "pg/connection.hpp"

namespace pgha::catalog {

std::vector<NodeRecord> list_nodes(const pg::Connection& connection);
std::optional<NodeRecord> find_node(const pg::Connection& connection, int node_id);
std::optional<NodeRecord> find_node_by_name(const pg::Connection& connection, const std::string& name);
std::optional<NodeRecord> find_active_primary(const pg::Connection& connection);

// Inserts or replaces the record with record.node_id.
void upsert_node(const pg::Connection& connection, const NodeRecord& record);
void delete_node(const pg::Connection& connection, int node_id);
void deactivate_node(const pg::Connection& connection, int node_id);

// Records `node_id` as an active standby of `upstream_node_id`.
void set_standby_of(const pg::Connection& connection, int node_id, int upstream_node_id);

// Records the promotion of `node_id`: it becomes the active primary in a new
// term (`elected_term` when an election chose it, else the next one); the
// previous primary records become inactive. Returns the new term.
std::int64_t record_promotion(const pg::Connection& connection, int node_id,
                              std::optional<std::int64_t> elected_term = std::nullopt);

// Nodes whose registered upstream is node_id.
std::vector<NodeRecord> downstream_nodes(const pg::Connection& connection, int node_id);

struct ClusterState {
    std::int64_t term = 1;
    std::optional<int> primary_node_id;
};
ClusterState cluster_state(const pg::Connection& connection);
void set_primary(const pg::Connection& connection, int node_id);

}  // namespace pgha::catalog
