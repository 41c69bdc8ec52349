#pragma once
// Lease arithmetic of DESIGN.md section 7, pure: time is passed in, never read.
//
// The primary's daemon sends heartbeats in numbered rounds. A peer that
// acknowledges a round promises not to vote for anyone until lease_timeout has
// passed since its acknowledgment. The primary counts its lease from the moment
// it *sent* the newest round a quorum acknowledged (itself included), so its
// lease always ends before any promise it relies on; it fences itself a safety
// margin before that. The votes that elected it are such a round too (a vote is
// a promise, see Voter): they were asked for before its first heartbeat.
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
    // `voters`: every active registered node, this one included.
    // `granted_at`: when the requests a quorum granted were sent, so the lease
    // lasts until granted_at + lease_timeout. For a primary that has just won
    // an election, when it asked for the votes: counting from any later moment
    // (its promotion, its first heartbeat) outlives the promises of its voters.
    // A daemon that finds itself primary without an election (it started on a
    // running primary, or after a manual promotion) has no such moment and
    // passes its start, which no voter has promised: its lease is only backed
    // once a round is acknowledged.
    PrimaryLease(std::size_t voters, Millis lease_timeout, Millis safety_margin, TimePoint granted_at);

    // The active registered nodes changed (a node rejoined, registered or was
    // deactivated): rounds sent from now on need a quorum of `voters`.
    void set_voters(std::size_t voters) { voters_ = voters; }

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
    struct Round {
        TimePoint sent_at;
        std::size_t voters;  // when it was sent
    };
    std::map<std::uint64_t, Round> sent_;
    std::map<std::uint64_t, std::set<int>> acks_;
};

}  // namespace pgha::election
