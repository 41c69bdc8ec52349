// The decision core on a fenced node: rejoin a newer primary, wait for one,
// or, when nobody was elected, unfence in two steps around a quorum round.
#include <fmt/format.h>

#include "decision/core.hpp"

namespace pgha::decision {

// A fenced node with PostgreSQL stopped asks its peers what they see.
void Core::fenced_round(Effects& fx, TimePoint now) {
    if (action_busy_) return;
    action_busy_ = true;
    PendingCall call;
    call.call = Call::state_for_fenced;
    broadcast(fx, std::move(call), StateRequest{}, now);
}

// A primary in a newer term is rejoined (auto_rejoin) or waited out; with no
// newer term anywhere it tries to take its lease back and unfence.
void Core::after_fenced_survey(Effects& fx, const PendingCall& call, TimePoint now) {
    int newest_primary = 0;
    std::int64_t newest_primary_term = 0;
    std::size_t answered = 0;
    auto newest_term = voter_.record().term;
    auto led = led_term_.value_or(0);
    for (const auto& [peer, state] : call.reports) {
        if (!state) continue;
        ++answered;
        newest_term = std::max(newest_term, state->term);
        if (state->role == "primary" && state->sees_primary && state->term > led &&
            (!newest_primary || state->term > newest_primary_term)) {
            newest_primary = peer;
            newest_primary_term = state->term;
        }
    }
    notice_term(fx, newest_term);
    const auto& reason = status_.fence_reason;
    if (newest_primary) {
        if (!settings_.auto_rejoin)
            return decided(fx, fmt::format("fenced ({}); node {} is the primary of term {} and [fencing] auto_rejoin "
                                           "is off: PostgreSQL stays stopped",
                                           reason, newest_primary, newest_primary_term));
        decided(fx, fmt::format("fenced; rejoining as a standby of node {} (term {})", newest_primary,
                                newest_primary_term));
        action_busy_ = true;
        Job job;
        job.kind = JobKind::rejoin;
        job.target = newest_primary;
        run_job(fx, std::move(job));
        return;
    }
    if (newest_term > led)
        return decided(fx, fmt::format("fenced ({}); term {} is newer than the term {} I led and its primary is not "
                                       "visible yet: PostgreSQL stays stopped, asking again",
                                       reason, newest_term, led));
    if (now < next_unfence_attempt_)
        return decided(fx, fmt::format("fenced ({}); the last attempt to unfence failed: trying again later", reason));
    // Without answers from a quorum the lease cannot come back: do not even start PostgreSQL.
    if (answered + 1 < election::quorum(voters()))
        return decided(fx, fmt::format("fenced ({}); only {} of {} voters answer: PostgreSQL stays stopped", reason,
                                       answered + 1, voters()));
    try_unfence(fx, led);
}

// Nobody was elected after this node fenced. Its PostgreSQL replays its own
// WAL as a standby first, however long that takes; then a heartbeat round in
// its own term that a quorum acknowledges is a fresh lease (those voters
// promise not to vote), and only then is it promoted, within that lease.
void Core::try_unfence(Effects& fx, std::int64_t led) {
    action_busy_ = true;
    unfencing_ = true;
    decided(fx, fmt::format("unfencing: no newer term exists; PostgreSQL starts in recovery to replay its WAL, "
                            "then asks a quorum for the lease of term {}",
                            led));
    Job job;
    job.kind = JobKind::start_in_recovery;
    job.term = led;
    run_job(fx, std::move(job));
}

void Core::ask_for_lease_back(Effects& fx, std::int64_t led, TimePoint now) {
    PendingCall call;
    call.call = Call::unfence_heartbeat;
    call.term = led;
    call.asked_at = now;
    call.promises = {settings_.lease_timeout};
    call.round = ++round_;
    broadcast(fx, std::move(call), peer::Heartbeat{led, settings_.node_id, round_}, now);
}

void Core::lease_back_answered(Effects& fx, const PendingCall& call, TimePoint now) {
    auto needed = election::quorum(voters());
    // Its own acknowledgment last: a failed attempt must not stop it voting for another.
    if (call.grants < needed || voter_.record().term != call.term ||
        !voter_.on_heartbeat(call.term, settings_.node_id, now).granted) {
        Job job;
        job.kind = JobKind::stop_after_failed_unfence;
        job.reason = fmt::format("only {} of {} voters acknowledge my term {} (a quorum is {})", call.grants,
                                 voters(), call.term, needed);
        run_job(fx, std::move(job));
        return;
    }
    auto promised = election::quorum_promise(call.promises, voters());
    auto deadline = call.asked_at + election::counted_promise(promised) - election::lease_margin(promised);
    // pg_promote waits whole seconds, at least one: with less left, it could
    // end past the lease (the answers came late: this daemon was frozen, say).
    if (deadline - now < Millis(1000)) {
        Job job;
        job.kind = JobKind::stop_after_failed_unfence;
        job.reason = fmt::format("the acknowledgments of my term {} came too late to promote within their lease",
                                 call.term);
        run_job(fx, std::move(job));
        return;
    }
    decided(fx, fmt::format("unfencing: {} of {} voters acknowledge my term {}: promoting", call.grants, voters(),
                            call.term));
    won_ = Won{call.term, call.asked_at, promised};  // the lease counts from this round
    Job job;
    job.kind = JobKind::promote_unfenced;
    job.reason = status_.fence_reason;
    job.deadline = deadline;
    run_job(fx, std::move(job));
}

// The server runs as primary from now on, within the lease the quorum round
// granted: held at once, so that it fences at its margin like any primary.
void Core::unfence_promoted(Effects& fx, const JobResult& result, TimePoint now) {
    Job event;
    event.kind = JobKind::record_event;
    event.event = "fencing_lifted";
    event.successful = result.ok;
    event.details = fmt::format("no newer primary was elected after \"{}\"; {}", status_.fence_reason,
                                result.ok ? "PostgreSQL replayed its WAL in recovery and was promoted within a "
                                            "lease a quorum granted again"
                                          : "unfencing failed: " + result.failure.value_or("?"));
    run_job(fx, std::move(event));
    if (!result.ok) return unfence_failed(fx, "the promotion did not finish in time", now);
    action_done();
    unfencing_ = false;
    status_.fenced = false;
    status_.fence_reason.clear();
    if (won_) {
        lease_.emplace(voters(), settings_.lease_timeout, won_->asked_at, won_->promised);
        lease_term_ = won_->term;
        last_round_sent_ = won_->asked_at;
    }
    won_.reset();
}

void Core::unfence_failed(Effects& fx, const std::string& why, TimePoint now) {
    action_done();
    unfencing_ = false;
    next_unfence_attempt_ = now + std::max(Millis(10'000), 10 * settings_.monitor_interval);
    decided(fx, fmt::format("fenced ({}); unfencing failed: {}", status_.fence_reason, why));
}

}  // namespace pgha::decision
