#pragma once
// cluster show: every registered node with what a live probe sees.
#include <optional>
#include <string>
#include <vector>

#include "actions/options.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"

namespace pgha {

struct NodeView {
    NodeRecord record;
    NodeObservation seen;
    std::string status;  // running | unreachable | mismatch | fenced
    std::optional<std::string> actual_role;  // primary | standby; nullopt when unreachable
    std::optional<std::string> upstream_name;  // registered upstream
    std::optional<std::string> actual_upstream_name;  // the node its WAL receiver streams from
    std::optional<std::int64_t> lag_bytes;  // primary LSN minus this standby's replay LSN
    std::string fenced_because;  // status "fenced": what its daemon says (why, and what it does next)
};

// Pure: combines records and observations (same order) into views.
std::vector<NodeView> build_views(const std::vector<NodeRecord>& records,
                                  const std::vector<NodeObservation>& observations);

// Reads the node list through this node (or -h/-d when this node is down),
// then probes every node in parallel.
std::vector<NodeView> show_cluster(const Config& config, const GlobalOptions& options);

}  // namespace pgha
