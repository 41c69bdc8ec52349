#include "election/ranking.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pgha::election {

Ranking rank_candidates(const std::vector<Candidate>& candidates, std::uint64_t maximum_lag) {
    std::optional<Lsn> best_lsn;
    for (const auto& c : candidates)
        if (c.reachable && c.lsn) best_lsn = std::max(best_lsn.value_or(0), *c.lsn);

    Ranking ranking;
    std::vector<const Candidate*> eligible;
    for (const auto& c : candidates) {
        auto exclude = [&](std::string reason) { ranking.excluded.push_back({c.node_id, std::move(reason)}); };
        if (c.witness) exclude("a witness is never promoted");
        else if (c.priority <= 0) exclude("priority 0: never promoted");
        else if (!c.reachable) exclude("unreachable");
        else if (!c.lsn) exclude("its received LSN is unknown");
        else if (*best_lsn - *c.lsn > maximum_lag)
            exclude(fmt::format("{} bytes behind the best candidate, more than maximum_lag_on_failover ({})",
                                *best_lsn - *c.lsn, maximum_lag));
        else eligible.push_back(&c);
    }
    std::sort(eligible.begin(), eligible.end(), [](const Candidate* a, const Candidate* b) {
        if (*a->lsn != *b->lsn) return *a->lsn > *b->lsn;
        if (a->priority != b->priority) return a->priority > b->priority;
        return a->node_id < b->node_id;
    });
    for (const auto* c : eligible) ranking.order.push_back(c->node_id);
    return ranking;
}

}  // namespace pgha::election
