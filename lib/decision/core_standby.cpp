// The decision core on a standby: the guards of DESIGN.md section 7, the
// survey of the peers, and the election.
#include <fmt/format.h>

#include <algorithm>

#include "decision/core.hpp"

namespace pgha::decision {

void Core::standby_round(Effects& fx, TimePoint now) {
    if (primary_writable_) {
        lost_since_.reset();
        primary_exited_ = false;
        status_.last_primary_contact = now;
        return decided(fx, "no action: connected to the primary");
    }
    // Lost since the round that found it gone began, not since it ended: a
    // round waits up to its connect deadline on a black-holed primary.
    if (!lost_since_) lost_since_ = std::min(round_started_, now);
    if (auto held = hold_reason(now)) return decided(fx, *held);
    if (election_busy_ || action_busy_) return;
    auto s = base_snapshot(now);
    // Guards that need no peers first: ask the peers only when they pass.
    if (auto early = election::check_local_guards(s)) {
        // Decide again the moment a wait ends, not up to one interval later.
        if (early->action == election::Action::wait)
            next_tick_sooner_ = s.upstream_lost_for < s.failure_threshold ? s.failure_threshold - s.upstream_lost_for
                                                                           : s.lease_remaining;
        return decided(fx, early->reason);
    }
    election_busy_ = true;
    PendingCall call;
    call.call = Call::state_for_election;
    broadcast(fx, std::move(call), StateRequest{}, now);
}

election::StandbySnapshot Core::base_snapshot(TimePoint now) const {
    election::StandbySnapshot s;
    s.self_id = settings_.node_id;
    s.automatic = settings_.failover_mode == FailoverMode::automatic;
    s.paused = durable_.paused;
    s.upstream_connected = false;
    s.upstream_lost_for = std::chrono::duration_cast<Millis>(now - lost_since_.value_or(now));
    s.failure_threshold = primary_exited_ ? Millis(0) : settings_.reconnect_attempts * settings_.reconnect_interval;
    s.lease_expired = voter_.lease_expired(now);
    s.lease_remaining = voter_.promise_remaining(now);
    s.voters = voters();
    s.maximum_lag = settings_.maximum_lag;
    s.ping_mode = settings_.fencing_mode == FencingMode::ping;
    s.candidates.push_back({settings_.node_id, true, false, settings_.priority, status_.lsn});
    return s;
}

void Core::on_peer_states(Effects& fx, const PendingCall& call, TimePoint now) {
    auto s = base_snapshot(now);
    for (const auto& [peer, state] : call.reports) {
        s.peers.push_back({peer, state.has_value(), state && state->sees_primary, state && state->unfencing});
        const auto* m = member(peer);
        bool witness = (m && m->witness) || (state && state->role == "witness");
        int priority = state ? state->priority : m ? m->priority : 0;
        s.candidates.push_back({peer, state.has_value() && state->role == "standby", witness, priority,
                                state ? state->lsn : std::nullopt});
        if (state && state->paused) s.paused = true;  // any paused daemon pauses the cluster
    }
    bool peer_lost = std::any_of(s.peers.begin(), s.peers.end(), [](const auto& p) { return !p.reachable; });
    if (!election::ping_rule_applies(s.ping_mode, s.voters) || !peer_lost) return decide_and_elect(fx, s, "", now);
    // fencing.mode = "ping": whether this node reaches a ping target decides in place of the lost peer.
    Job job;
    job.kind = JobKind::check_ping;
    run_job(fx, std::move(job), s);
}

void Core::decide_and_elect(Effects& fx, const election::StandbySnapshot& s, const std::string& ping_detail,
                            TimePoint now) {
    auto decision = election::decide_standby(s);
    decided(fx, ping_detail.empty() ? decision.reason : decision.reason + " (" + ping_detail + ")");
    if (decision.action != election::Action::start_election) {
        election_busy_ = false;
        return;
    }
    run_election(fx, s.ping_answered.value_or(false), now);
}

// `ping_stands_in`: two voters in fencing.mode = "ping", the peer lost and a
// ping target answered: this node's own vote suffices unless the peer answers
// after all and refuses.
void Core::run_election(Effects& fx, bool ping_stands_in, TimePoint now) {
    // A candidacy is a vote for itself: never while this voter's promise to a leader holds.
    if (!voter_.lease_expired(now)) {
        election_busy_ = false;
        return decided(fx, fmt::format("no election: I promised not to vote for {} ms more",
                                       voter_.promise_remaining(now).count()));
    }
    auto term = voter_.start_candidacy(settings_.node_id, now);
    if (auto error = persist(fx)) {
        election_busy_ = false;
        return decided(fx, "no election: cannot persist my candidacy: " + *error);
    }
    PendingCall call;
    call.call = Call::vote;
    call.term = term;
    call.asked_at = now;
    call.needed = ping_stands_in ? 1 : election::quorum(voters());
    call.ping_stands_in = ping_stands_in;
    call.promises = {settings_.lease_timeout};
    decided(fx, fmt::format("electing: asking for votes in term {} (need {} of {})", term, call.needed, voters()));
    broadcast(fx, std::move(call), peer::VoteRequest{term, settings_.node_id, status_.lsn.value_or(0)}, now);
}

void Core::vote_answered(Effects& fx, PendingCall& call, int peer, const peer::Reply& reply) {
    if (reply.granted) {
        ++call.grants;
        call.promises.push_back(Millis(reply.promise_ms));
    } else {
        ++call.refusals;
        fx.notes.push_back({Level::info, fmt::format("node {} refused its vote: {}", peer, reply.reason)});
    }
    call.newest_timeline = std::max(call.newest_timeline, reply.newest_timeline);
    notice_term(fx, reply.term);
}

void Core::election_finished(Effects& fx, const PendingCall& call, TimePoint now) {
    if (call.grants < call.needed || voter_.record().term != call.term || (call.ping_stands_in && call.refusals > 0)) {
        election_busy_ = false;
        return decided(fx, fmt::format("election of term {} lost: {} of {} votes", call.term, call.grants,
                                       call.needed));
    }
    // The lease counts from when it asked, for as long as the quorum that
    // granted promised, and from now on, promotion included.
    auto promised = call.ping_stands_in ? *std::min_element(call.promises.begin(), call.promises.end())
                                        : election::quorum_promise(call.promises, voters());
    election::PrimaryLease lease(voters(), settings_.lease_timeout, call.asked_at, promised);
    if (lease.must_fence(now)) {  // the answers came late (this daemon was frozen, say)
        election_busy_ = false;
        return decided(fx, fmt::format("election of term {} won too late: the votes' promises have run out",
                                       call.term));
    }
    decided(fx, fmt::format("won the election of term {} with {} votes: promoting", call.term, call.grants));
    lease_ = lease;
    lease_term_ = call.term;
    last_round_sent_ = call.asked_at;
    promoting_term_ = call.term;
    Job job;
    job.kind = JobKind::promote;
    job.term = call.term;
    job.votes = call.grants;
    job.timeline_floor = call.newest_timeline;
    run_job(fx, std::move(job));
}

}  // namespace pgha::decision
