#pragma once
// Observing live nodes. An unreachable node is a value, not an exception.
#include <chrono>
#include <vector>

#include "cluster/node.hpp"
#include "pg/connection.hpp"

namespace pgha {

// Role, LSNs, timeline and WAL receiver state of the server behind `connection`.
NodeObservation observe(const pg::Connection& connection);

// Connects (bounded by the conninfo's connect_timeout, else `default_timeout`)
// and observes; never throws.
NodeObservation observe(const std::string& conninfo, std::chrono::seconds default_timeout);
// The same within `deadline`, whatever the conninfo says (pghad's monitoring).
NodeObservation observe_within(const std::string& conninfo, std::chrono::milliseconds deadline);

// All nodes at once, one thread each, so the total time is bounded by one
// connect timeout however many nodes are down. Results in input order.
std::vector<NodeObservation> observe_all(const std::vector<NodeRecord>& nodes,
                                         std::chrono::seconds default_timeout);

}  // namespace pgha
