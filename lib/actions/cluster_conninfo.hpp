#pragma once
// cluster conninfo: a libpq multi-host connection string for the cluster.
#include <optional>
#include <string>
#include <vector>

#include "actions/options.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"

namespace pgha {

// "primary" → read-write, "standby" → standby, "any" → any; nullopt otherwise.
std::optional<std::string> target_session_attrs_for(const std::string& role);

// Pure: "host=h1,h2 port=p1,p2 target_session_attrs=..." from the active,
// non-witness records in node_id order (port 5432 when a conninfo has none),
// plus connect_timeout when given. Never a password. Refuses when no node is left.
std::string multi_host_conninfo(std::vector<NodeRecord> records, const std::string& role,
                                const std::optional<std::string>& connect_timeout);

// Reads the metadata through this node (or -h/-d) and builds the string.
std::string cluster_conninfo(const Config& config, const GlobalOptions& options, const std::string& role);

}  // namespace pgha
