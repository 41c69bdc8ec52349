// The decision core's answers: to its broadcasts, one peer at a time and then
// all together, and to the jobs it asked for.
#include <fmt/format.h>

#include <algorithm>

#include "decision/core.hpp"

namespace pgha::decision {

Effects Core::on_answer(std::uint64_t call_id, int peer_id, const std::optional<Answer>& answer, TimePoint now) {
    Effects fx;
    auto found = calls_.find(call_id);
    if (found == calls_.end()) return fx;
    auto& waiting = found->second.waiting;
    auto position = std::find(waiting.begin(), waiting.end(), peer_id);
    if (position == waiting.end()) return fx;  // answered or failed already
    waiting.erase(position);
    answer_arrived(fx, found->second, peer_id, answer, now);
    // An election is won once a quorum granted: the votes are promises kept
    // on the voters' disks, and a lost peer's timeout would only delay it.
    const auto& pending = found->second;
    bool won_early = pending.call == Call::vote && !pending.ping_stands_in && pending.grants >= pending.needed;
    if (found->second.waiting.empty() || won_early) {
        auto call = std::move(found->second);
        calls_.erase(found);
        all_answered(fx, call, now);
    }
    return fx;
}

void Core::answer_arrived(Effects& fx, PendingCall& call, int peer, const std::optional<Answer>& answer,
                          TimePoint now) {
    const auto* reply = answer ? std::get_if<peer::Reply>(&*answer) : nullptr;
    const auto* state = answer ? std::get_if<peer::State>(&*answer) : nullptr;
    switch (call.call) {
    case Call::heartbeat:
        if (reply) heartbeat_answered(fx, call, peer, *reply, now);
        return;
    case Call::unfence_heartbeat:
        if (reply && reply->granted && reply->term == call.term) {
            ++call.grants;
            call.promises.push_back(Millis(reply->promise_ms));
        }
        return;
    case Call::release: return;
    case Call::state_for_election:
    case Call::state_for_fenced:
        call.reports.emplace_back(peer, state ? std::optional(*state) : std::nullopt);
        return;
    case Call::vote:
        if (reply) vote_answered(fx, call, peer, *reply);
        return;
    }
}

void Core::all_answered(Effects& fx, const PendingCall& call, TimePoint now) {
    switch (call.call) {
    case Call::heartbeat:
    case Call::release: return;
    case Call::state_for_election: return on_peer_states(fx, call, now);
    case Call::state_for_fenced:
        action_busy_ = false;
        return after_fenced_survey(fx, call, now);
    case Call::unfence_heartbeat: return lease_back_answered(fx, call, now);
    case Call::vote: return election_finished(fx, call, now);
    }
}

Effects Core::on_job_done(std::uint64_t job_id, const JobResult& result, TimePoint now) {
    Effects fx;
    auto found = jobs_.find(job_id);
    if (found == jobs_.end()) return fx;
    auto pending = std::move(found->second);
    jobs_.erase(found);
    job_finished(fx, pending, result, now);
    return fx;
}

void Core::job_finished(Effects& fx, const PendingJob& pending, const JobResult& result, TimePoint now) {
    const auto& job = pending.job;
    switch (job.kind) {
    case JobKind::fence:
        action_done();
        return fenced_round(fx, now);
    case JobKind::promote:
        election_busy_ = false;
        primary_exited_ = false;
        promoting_term_.reset();
        ++action_generation_;  // facts gathered while it promoted are stale
        lost_since_.reset();
        ++status_.failovers;
        // The job returns once PostgreSQL accepts writes: with the lease it
        // won still valid, this node is the writable primary now, not on its
        // next round (/primary answers 200 at once).
        if (result.ok && lease_ && !status_.fenced && !lease_lost(now)) {
            status_.postgres_up = true;
            status_.role = Role::primary;
            status_.writable = true;
            was_primary_ = true;
        }
        return;
    case JobKind::rejoin: return action_done();
    case JobKind::start_in_recovery:
        if (result.failure) return unfence_failed(fx, *result.failure, now);
        return ask_for_lease_back(fx, job.term, now);
    case JobKind::stop_after_failed_unfence: return unfence_failed(fx, job.reason, now);
    case JobKind::promote_unfenced: return unfence_promoted(fx, result, now);
    case JobKind::check_ping:
        if (!pending.snapshot) return ping_answered_as_primary(fx, result, now);
        {
            // The peers' reports stand; what time changed (this voter may
            // have acknowledged a heartbeat while it pinged) is read again.
            auto s = *pending.snapshot;
            auto fresh = base_snapshot(now);
            s.upstream_lost_for = fresh.upstream_lost_for;
            s.lease_expired = fresh.lease_expired;
            s.lease_remaining = fresh.lease_remaining;
            s.ping_answered = result.answered;
            return decide_and_elect(fx, s, result.detail, now);
        }
    case JobKind::record_event: return;
    }
}

}  // namespace pgha::decision
