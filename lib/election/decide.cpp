#include "election/decide.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace pgha::election {

std::optional<Decision> check_local_guards(const StandbySnapshot& s) {
    if (s.upstream_connected) return Decision{Action::none, "no action: connected to the primary"};
    if (!s.automatic) return Decision{Action::none, "no action: failover.mode is manual"};
    if (s.paused) return Decision{Action::none, "no action: automatic failover is paused"};
    if (s.upstream_lost_for < s.failure_threshold)
        return Decision{Action::wait, fmt::format("waiting: primary lost for {} ms of {} ms before failover",
                                          s.upstream_lost_for.count(), s.failure_threshold.count())};
    if (!s.lease_expired)
        return Decision{Action::wait, fmt::format("waiting: the primary's lease may still be valid for {} ms",
                                          s.lease_remaining.count())};
    return std::nullopt;
}

Decision decide_standby(const StandbySnapshot& s) {
    if (auto early = check_local_guards(s)) return *early;
    for (const auto& peer : s.peers)
        if (peer.reachable && peer.sees_primary)
            return {Action::none, fmt::format("no action: node {} still sees the primary", peer.node_id)};
    for (const auto& peer : s.peers)
        if (peer.reachable && peer.unfencing)
            return {Action::none, fmt::format("no action: node {} is unfencing (nobody was elected after it "
                                              "fenced: it takes its lease back)", peer.node_id)};
    std::size_t reachable = 1;
    for (const auto& peer : s.peers) reachable += peer.reachable ? 1 : 0;
    if (reachable < quorum(s.voters)) {
        if (!ping_rule_applies(s.ping_mode, s.voters))
            return {Action::none, fmt::format("no action: only {} of {} voters reachable, a quorum is {}", reachable,
                                              s.voters, quorum(s.voters))};
        if (!s.ping_answered.value_or(false))
            return {Action::none, "no action: the peer is lost and no ping target answers: I may be the isolated "
                                  "one (fencing.mode = \"ping\")"};
    }
    auto ranking = rank_candidates(s.candidates, s.maximum_lag);
    auto best = ranking.best();
    if (!best) {
        std::vector<std::string> reasons;
        for (const auto& excluded : ranking.excluded)
            reasons.push_back(fmt::format("node {}: {}", excluded.node_id, excluded.reason));
        return {Action::none,
                fmt::format("no action: no node is eligible for promotion ({})", fmt::join(reasons, "; "))};
    }
    if (*best != s.self_id) {
        for (const auto& excluded : ranking.excluded)
            if (excluded.node_id == s.self_id)
                return {Action::wait, fmt::format("waiting: node {} is the best candidate; I am not eligible ({})",
                                                  *best, excluded.reason)};
        return {Action::wait, fmt::format("waiting: node {} is a better candidate", *best)};
    }
    return {Action::start_election, "electing: the primary is lost, its lease has expired, a quorum is reachable "
                                    "and I am the best candidate"};
}

}  // namespace pgha::election
