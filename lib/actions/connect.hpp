#pragma once
// Connections the actions need: this node, the current primary, an upstream
// given on the command line.
#include <chrono>
#include <string>

#include "actions/options.hpp"
#include "config/config.hpp"
#include "pg/connection.hpp"

namespace pgha {

// The conninfo's own connect_timeout when set, else 5 s.
std::chrono::seconds connect_timeout(const std::string& conninfo);

// This node's server, via config.conninfo. Throws ConnectError naming the node.
pg::Connection connect_local(const Config& config);

// connect_local, retried until `timeout` passes (a server that is starting).
pg::Connection connect_local_waiting(const Config& config, std::chrono::milliseconds timeout);

// This node, or when it is down the server given with -h/-d (for reading the
// replicated metadata).
pg::Connection connect_local_or_given(const Config& config, const GlobalOptions& options);

// The active primary registered in the metadata that `any_node` can read.
// Throws a refusal when none is registered or it is not writable.
pg::Connection connect_primary(const pg::Connection& any_node);

// The server named by -h/-p/-U/-d; refuses when none of them was given.
std::string conninfo_from_options(const GlobalOptions& options, const std::string& what);

bool in_recovery(const pg::Connection& connection);

}  // namespace pgha
