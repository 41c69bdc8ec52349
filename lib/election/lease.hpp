#pragma once
// Lease arithmetic of DESIGN.md section 7, pure: time is passed in, never read.
//
// The primary's daemon sends heartbeats in numbered rounds. A peer that
// acknowledges a round promises not to vote for anyone until lease_timeout has
// passed since its acknowledgment. The primary counts its lease from the moment
// it *sent* the newest round a quorum acknowledged (itself included), so its
// lease always ends before any promise it relies on; it fences itself a safety
// margin before that.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>

namespace pgha::election {

using TimePoint = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

constexpr std::size_t quorum(std::size_t voters) { return voters / 2 + 1; }

class PrimaryLease {
public:
    // `voters`: every active registered node, this one included. A daemon that
    // starts counts its start as a sent round that a quorum acknowledged, just
    // as every voter counts its own start as a promise (Voter).
    PrimaryLease(std::size_t voters, Millis lease_timeout, Millis safety_margin, TimePoint started);

    void round_sent(std::uint64_t round, TimePoint sent_at);
    void acknowledged(std::uint64_t round, int peer_id);

    // When the lease runs out: the send time of the newest quorum-acknowledged
    // round plus lease_timeout.
    TimePoint expires_at() const;
    // True once `now` is within the safety margin of expiry: fence now.
    bool must_fence(TimePoint now) const;
    Millis remaining(TimePoint now) const;

private:
    std::size_t voters_;
    Millis lease_timeout_;
    Millis margin_;
    TimePoint granted_from_;  // send time of the newest round with a quorum
    std::map<std::uint64_t, TimePoint> sent_;
    std::map<std::uint64_t, std::set<int>> acks_;
};

}  // namespace pgha::election
