#include "election/voter.hpp"

#include <fmt/format.h>

namespace pgha::election {

Voter::Voter(VoterRecord record, Millis lease_timeout, TimePoint started)
    : record_(record), lease_timeout_(lease_timeout), promise_until_(started + lease_timeout) {}

Reply Voter::on_heartbeat(std::int64_t term, int leader_id, TimePoint now) {
    if (term < record_.term)
        return {false, record_.term, fmt::format("heartbeat of term {} is older than my term {}", term, record_.term)};
    if (term > record_.term) record_ = {term, std::nullopt};
    if (record_.voted_for && *record_.voted_for != leader_id)
        return {false, record_.term, fmt::format("I voted for node {} in term {}, not for node {}", *record_.voted_for,
                                                 term, leader_id)};
    if (leader_ && leader_term_ == term && *leader_ != leader_id)
        return {false, record_.term, fmt::format("node {} already leads term {}", *leader_, term)};
    follow_leader(leader_id, term, now);
    return {true, record_.term, fmt::format("acknowledged node {} as primary of term {}", leader_id, term),
            lease_timeout_};
}

void Voter::follow_leader(int leader_id, std::int64_t term, TimePoint now) {
    leader_ = leader_id;
    leader_term_ = term;
    released_ = false;
    promise_until_ = std::max(promise_until_, now + lease_timeout_);
}

bool Voter::on_release(std::int64_t term, int leader_id) {
    if (term == record_.term && leader_ == leader_id) released_ = true;
    return term == record_.term && leader_ == leader_id;
}

bool Voter::lease_expired(TimePoint now) const { return released_ || now >= promise_until_; }

Millis Voter::promise_remaining(TimePoint now) const {
    if (lease_expired(now)) return Millis(0);
    return std::chrono::duration_cast<Millis>(promise_until_ - now);
}

Reply Voter::on_vote_request(const VoteRequest& request, std::optional<Lsn> own_lsn, TimePoint now) {
    auto refuse = [&](std::string reason) { return Reply{false, record_.term, std::move(reason)}; };
    if (request.term < record_.term)
        return refuse(fmt::format("term {} is older than my term {}", request.term, record_.term));
    bool same_candidacy = leader_ == request.candidate_id && leader_term_ == request.term;  // a retried request
    if (!lease_expired(now) && !same_candidacy)
        return refuse(fmt::format("I promised node {} not to vote for {} ms more", leader_.value_or(0),
                                  promise_remaining(now).count()));
    if (request.term == record_.term && record_.voted_for && *record_.voted_for != request.candidate_id)
        return refuse(fmt::format("already voted for node {} in term {}", *record_.voted_for, record_.term));
    if (own_lsn && *own_lsn > request.candidate_lsn)
        return refuse(fmt::format("candidate is at {}, behind my {}", format_lsn(request.candidate_lsn),
                                  format_lsn(*own_lsn)));
    record_ = {request.term, request.candidate_id};
    // A vote is a promise like an acknowledged heartbeat: the winner needs time
    // to promote before its heartbeats start, and no other candidate may win a
    // newer term meanwhile (unless it releases, or the promise runs out).
    follow_leader(request.candidate_id, request.term, now);
    return {true, record_.term, fmt::format("vote for node {} in term {}", request.candidate_id, request.term),
            lease_timeout_};
}

void Voter::observe_term(std::int64_t term) {
    if (term > record_.term) record_ = {term, std::nullopt};
}

std::int64_t Voter::start_candidacy(int self_id, TimePoint now) {
    record_ = {record_.term + 1, self_id};
    follow_leader(self_id, record_.term, now);  // a candidate votes for itself: the same promise
    return record_.term;
}

}  // namespace pgha::election
