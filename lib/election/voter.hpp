#pragma once
// A voter's side of the protocol, pure. Its term and vote must be persisted
// (fsync) by the caller before any reply that depends on them is sent.
#include <cstdint>
#include <optional>
#include <string>

#include "core/lsn.hpp"
#include "election/lease.hpp"

namespace pgha::election {

struct VoterRecord {  // what is persisted
    std::int64_t term = 0;
    std::optional<int> voted_for;  // in `term`
};

struct Reply {
    bool granted = false;
    std::int64_t term = 0;  // the voter's term after handling the message
    std::string reason;
    Millis promise{0};  // granted: how long this voter now promises not to vote for another
};

struct VoteRequest {
    std::int64_t term = 0;
    int candidate_id = 0;
    Lsn candidate_lsn = 0;
};

class Voter {
public:
    // A daemon that starts acts as if it had just acknowledged a heartbeat: it
    // cannot know what it promised before it stopped.
    Voter(VoterRecord record, Millis lease_timeout, TimePoint started);

    const VoterRecord& record() const { return record_; }
    // A reload changed lease_timeout: promises given keep their end; new ones
    // last the new duration, and each reply says how long.
    void set_lease_timeout(Millis lease_timeout) { lease_timeout_ = lease_timeout; }
    Millis lease_timeout() const { return lease_timeout_; }
    std::optional<int> leader() const { return leader_; }

    // A heartbeat of the primary `leader_id` in `term`: acknowledged (and the
    // promise renewed) unless the term is older than ours, or another node is
    // known to lead that term (one this voter voted for, or heard first): a
    // term has at most one legitimate primary.
    Reply on_heartbeat(std::int64_t term, int leader_id, TimePoint now);
    // The leader of our current term gives its lease up (its PostgreSQL died).
    // False when it is not that leader: the release is ignored.
    bool on_release(std::int64_t term, int leader_id);

    bool lease_expired(TimePoint now) const;
    Millis promise_remaining(TimePoint now) const;

    // `own_lsn`: what this voter has received (nullopt for a witness).
    Reply on_vote_request(const VoteRequest& request, std::optional<Lsn> own_lsn, TimePoint now);

    // A newer term seen elsewhere (metadata, a reply): adopt it, with no vote.
    void observe_term(std::int64_t term);

    // This node becomes a candidate: a new term with a vote for itself (and,
    // as for any vote, no vote for another node for lease_timeout).
    std::int64_t start_candidacy(int self_id, TimePoint now);

private:
    void follow_leader(int leader_id, std::int64_t term, TimePoint now);

    VoterRecord record_;
    Millis lease_timeout_;
    TimePoint promise_until_;
    std::optional<int> leader_;  // the primary of leader_term_
    std::int64_t leader_term_ = 0;
    bool released_ = false;
};

}  // namespace pgha::election
