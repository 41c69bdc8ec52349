#pragma once
// witness register / unregister. A witness is a separate PostgreSQL server
// (outside replication) at this node's conninfo; it holds a copy of the
// metadata and counts as a voter.
#include <optional>
#include <string>

#include "actions/options.hpp"
#include "actions/register.hpp"
#include "config/config.hpp"

namespace pgha {

// Checks the witness server (this node) and the primary given with -h/-p/-U/-d,
// installs the pgha schema on the witness, records the witness on the primary
// and copies the primary's metadata to the witness. outcome.upstream: the primary.
RegisterOutcome register_witness(const Config& config, const GlobalOptions& options);

// Removes the witness record of this node (or node_id) on the primary, found
// through -h/-d when given, else through this witness's metadata copy.
RegisterOutcome unregister_witness(const Config& config, const GlobalOptions& options, std::optional<int> node_id);

}  // namespace pgha
