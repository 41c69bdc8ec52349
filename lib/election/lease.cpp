#include "election/lease.hpp"

namespace pgha::election {

PrimaryLease::PrimaryLease(std::size_t voters, Millis lease_timeout, Millis safety_margin, TimePoint granted_at)
    : voters_(voters), lease_timeout_(lease_timeout), margin_(safety_margin), granted_from_(granted_at) {}

void PrimaryLease::round_sent(std::uint64_t round, TimePoint sent_at) {
    sent_[round] = {sent_at, voters_};
    // Rounds older than one lease can never extend it: forget them.
    while (!sent_.empty() && sent_.begin()->second.sent_at + lease_timeout_ < sent_at) {
        acks_.erase(sent_.begin()->first);
        sent_.erase(sent_.begin());
    }
}

void PrimaryLease::acknowledged(std::uint64_t round, int peer_id) {
    auto sent = sent_.find(round);
    if (sent == sent_.end()) return;  // unknown or forgotten round: no credit
    auto& acks = acks_[round];
    acks.insert(peer_id);
    if (acks.size() + 1 >= quorum(sent->second.voters) && sent->second.sent_at > granted_from_)
        granted_from_ = sent->second.sent_at;
}

TimePoint PrimaryLease::expires_at() const { return granted_from_ + lease_timeout_; }

bool PrimaryLease::must_fence(TimePoint now) const { return now + margin_ >= expires_at(); }

Millis PrimaryLease::remaining(TimePoint now) const {
    return std::chrono::duration_cast<Millis>(expires_at() - now);
}

}  // namespace pgha::election
