#pragma once
// The decision core's jobs as pghad carries them out: blocking work (libpq,
// pg_ctl, hooks, ping), run on a worker thread, each bounded by its timeouts.
#include <vector>

#include "cluster/node.hpp"
#include "config/config.hpp"
#include "decision/effects.hpp"

namespace pgha {

// `records`: the node metadata of the last monitoring round (rejoin's target).
decision::JobResult run_core_job(const Config& config, const decision::Job& job,
                                 const std::vector<NodeRecord>& records);

}  // namespace pgha
