#pragma once
// Which standby should become primary, pure: highest received LSN, then
// priority, then lowest node_id; never priority 0, a witness, an unreachable
// node, or one further behind the best LSN than maximum_lag_on_failover.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/lsn.hpp"

namespace pgha::election {

struct Candidate {
    int node_id = 0;
    bool reachable = false;
    bool witness = false;
    int priority = 100;
    std::optional<Lsn> lsn;  // received WAL position
};

struct Excluded {
    int node_id = 0;
    std::string reason;
};

struct Ranking {
    std::vector<int> order;  // eligible candidates, best first
    std::vector<Excluded> excluded;
    std::optional<int> best() const {
        if (order.empty()) return std::nullopt;
        return order.front();
    }
};

Ranking rank_candidates(const std::vector<Candidate>& candidates, std::uint64_t maximum_lag);

}  // namespace pgha::election
