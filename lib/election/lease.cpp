#include "election/lease.hpp"

#include <algorithm>
#include <functional>

namespace pgha::election {

Millis counted_promise(Millis promise) {
    return promise - Millis(static_cast<Millis::rep>(static_cast<double>(promise.count()) * 2 * kMaxClockDrift + 0.999));
}

Millis lease_margin(Millis lease) { return std::max(Millis(200), lease / 5); }

Millis quorum_promise(std::vector<Millis> promises, std::size_t voters) {
    auto needed = quorum(voters);
    if (promises.size() < needed) return Millis(0);
    std::sort(promises.begin(), promises.end(), std::greater<>());
    return promises[needed - 1];
}

PrimaryLease::PrimaryLease(std::size_t voters, Millis own_promise, TimePoint granted_at, Millis granted_for)
    : voters_(voters), own_promise_(own_promise), expires_at_(granted_at + counted_promise(granted_for)),
      granted_for_(granted_for), longest_seen_(std::max(own_promise, granted_for)) {}

void PrimaryLease::round_sent(std::uint64_t round, TimePoint sent_at) {
    sent_[round] = {sent_at, voters_, {}};
    while (!sent_.empty() && sent_.begin()->second.sent_at + longest_seen_ < sent_at) sent_.erase(sent_.begin());
}

void PrimaryLease::acknowledged(std::uint64_t round, int peer_id, Millis promise) {
    auto sent = sent_.find(round);
    if (sent == sent_.end()) return;  // unknown or forgotten round: no credit
    auto& r = sent->second;
    r.promises[peer_id] = promise;
    longest_seen_ = std::max(longest_seen_, promise);
    std::vector<Millis> promises{own_promise_};
    for (const auto& [peer, p] : r.promises) promises.push_back(p);
    auto promised = quorum_promise(std::move(promises), r.voters);
    if (promised <= Millis(0)) return;
    auto ends = r.sent_at + counted_promise(promised);
    if (ends > expires_at_) {
        expires_at_ = ends;
        granted_for_ = promised;
    }
}

bool PrimaryLease::must_fence(TimePoint now) const { return now + lease_margin(granted_for_) >= expires_at_; }

Millis PrimaryLease::remaining(TimePoint now) const {
    return std::chrono::duration_cast<Millis>(expires_at_ - now);
}

}  // namespace pgha::election
