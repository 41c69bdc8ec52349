#pragma once
// Which registered node a server address belongs to (a WAL receiver's sender).
#include <optional>
#include <string>
#include <vector>

#include "cluster/node.hpp"

namespace pgha {

// The name of the registered node whose conninfo names `host` and `port`
// (a conninfo without a port means 5432).
std::optional<std::string> node_name_at(const std::vector<NodeRecord>& records, const std::string& host,
                                        const std::string& port);

}  // namespace pgha
