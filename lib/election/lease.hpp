#pragma once
// Lease arithmetic of DESIGN.md section 7, pure: time is passed in, never read.
//
// The primary's daemon sends heartbeats in numbered rounds. A peer that
// acknowledges a round promises not to vote for anyone for a duration it names
// in its answer (its own lease_timeout, which a reload may change). The primary
// counts its lease from the moment it *sent* the newest round a quorum
// acknowledged (itself included), and for no longer than that quorum promised:
// the quorum-th longest promise of the round, so that every quorum that could
// elect someone else contains a voter bound for at least that long. It fences
// itself a safety margin before the end. The votes that elected it are such a
// round too (a vote is a promise, see Voter): they were asked for before its
// first heartbeat.
//
// Clocks: steady clocks may run at different rates, by at most kMaxClockDrift
// each. A promise of d on a fast voter's clock may end after d / (1 + drift)
// real time, a lease counted on a slow leader's clock after d / (1 - drift):
// the leader counts only counted_promise(d) = d * (1 - 2 * drift), which ends
// first, and the margin (at least a fifth of the lease) comes on top.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace pgha::election {

using TimePoint = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

constexpr std::size_t quorum(std::size_t voters) { return voters / 2 + 1; }

// The bound on how far any steady clock's rate may stray from real time.
constexpr double kMaxClockDrift = 0.01;

// How long a leader may count a promise of `promise` on its own clock.
Millis counted_promise(Millis promise);

// How long before its lease ends a primary fences itself.
Millis lease_margin(Millis lease);

// The longest duration that a quorum of `voters` promised: the quorum-th
// longest of `promises` (one per voter that promised, the leader included);
// zero when fewer than a quorum promised.
Millis quorum_promise(std::vector<Millis> promises, std::size_t voters);

class PrimaryLease {
public:
    // `voters`: every registered node, this one included; `own_promise`: the
    // leader's own lease_timeout (its own voter's part of every quorum).
    // `granted_at` / `granted_for`: when the requests a quorum granted were
    // sent and how long that quorum promised, so the lease lasts until
    // granted_at + counted_promise(granted_for). For a primary that has just
    // won an election, when it asked for the votes: counting from any later
    // moment (its promotion, its first heartbeat) outlives the promises of its
    // voters. A daemon that finds itself primary without an election (it
    // started on a running primary, or after a manual promotion) has no such
    // moment and passes its start and its own lease_timeout.
    PrimaryLease(std::size_t voters, Millis own_promise, TimePoint granted_at, Millis granted_for);

    // The registered nodes changed: rounds sent from now on need a quorum of `voters`.
    void set_voters(std::size_t voters) { voters_ = voters; }
    // A reload changed the leader's own lease_timeout.
    void set_own_promise(Millis promise) { own_promise_ = promise; }

    void round_sent(std::uint64_t round, TimePoint sent_at);
    // `promise`: how long the peer promised with this acknowledgment.
    void acknowledged(std::uint64_t round, int peer_id, Millis promise);

    // When the lease runs out: the send time of the newest quorum-acknowledged
    // round plus what that quorum promised, as counted_promise counts it.
    TimePoint expires_at() const { return expires_at_; }
    // The promise of the grant the lease counts now (before counted_promise).
    Millis granted_for() const { return granted_for_; }
    // True once `now` is within the safety margin of expiry: fence now.
    bool must_fence(TimePoint now) const;
    Millis remaining(TimePoint now) const;

private:
    std::size_t voters_;
    Millis own_promise_;
    TimePoint expires_at_;
    Millis granted_for_;
    Millis longest_seen_;  // rounds older than this can never extend the lease
    struct Round {
        TimePoint sent_at;
        std::size_t voters;  // when it was sent
        std::map<int, Millis> promises;  // per acknowledging peer
    };
    std::map<std::uint64_t, Round> sent_;
};

}  // namespace pgha::election
