// The decision core on a primary: heartbeats and the lease, the release of
// a crashed primary, fencing, and fencing.mode = "ping".
#include <fmt/format.h>

#include "decision/core.hpp"

namespace pgha::decision {

void Core::primary_round(Effects& fx, TimePoint now) {
    status_.last_primary_contact = now;
    released_ = false;
    released_exited_ = false;
    // Someone started it again while fenced: stop it again.
    if (status_.fenced) return fence(fx, "PostgreSQL runs again on a fenced node", now);
    // The term this node leads is the one its own metadata recorded when it
    // became primary; a newer term known to its voter means someone else was
    // elected since (this node may even have voted for them).
    // Promoted by its election, its metadata not yet written: it leads the
    // term it won, and heartbeats go on while the promotion finishes.
    if (!promoting_term_ && !metadata_read_)
        return decided(fx, "no action: this primary's pgha metadata cannot be read");
    // Promoted by a switchover that has not recorded its new term yet.
    if (!promoting_term_ && cluster_primary_ != settings_.node_id)
        if (auto held = hold_reason(now)) return decided(fx, *held);
    std::int64_t term = promoting_term_          ? *promoting_term_
                        : cluster_primary_ == settings_.node_id ? cluster_term_
                                                                : 0;
    led_term_ = term;
    if (voter_.record().term > term)
        return fence(fx, fmt::format("term {} is newer than the term {} I lead", voter_.record().term, term), now);
    if (!lease_) start_lease(now, term);
    heartbeat_round(fx, term, now);
    if (lease_lost(now)) return fence_lost_lease(fx, now);
    if (ping_decides() && ping_due(now)) return ping_or_fence(fx, now);
    decided(fx, fmt::format("no action: I am node {}, the primary of term {} with a lease valid for {} ms",
                            settings_.node_id, term, std::max<long>(0, lease_->remaining(now).count())));
}

// One numbered round of heartbeats in `term`, the lease counting it.
void Core::heartbeat_round(Effects& fx, std::int64_t term, TimePoint now) {
    auto round = ++round_;
    lease_term_ = term;
    last_round_sent_ = now;
    lease_->set_voters(voters());  // a node may have rejoined since the lease began
    lease_->round_sent(round, now);
    PendingCall call;
    call.call = Call::heartbeat;
    call.round = round;
    call.term = term;
    broadcast(fx, std::move(call), peer::Heartbeat{term, settings_.node_id, round}, now);
}

// A monitoring round can take a connect timeout (the old primary is gone):
// the tick keeps the lease's rounds going meanwhile, while promoting too.
bool Core::heartbeat_due(TimePoint now) const {
    return lease_ && lease_term_ && !status_.fenced && !action_busy_ &&
           now - last_round_sent_ >= 2 * settings_.monitor_interval;  // a round is late
}

// The votes that elected this node are promises from when it asked for them;
// a primary found without an election counts from now.
void Core::start_lease(TimePoint now, std::int64_t term) {
    if (won_ && won_->term == term)
        lease_.emplace(voters(), settings_.lease_timeout, won_->asked_at, won_->promised);
    else
        lease_.emplace(voters(), settings_.lease_timeout, now, settings_.lease_timeout);
    won_.reset();
}

void Core::heartbeat_answered(Effects& fx, const PendingCall& call, int peer, const peer::Reply& reply,
                              TimePoint now) {
    if (!lease_) return;
    if (reply.granted && reply.term == call.term) {
        lease_->acknowledged(call.round, peer, Millis(reply.promise_ms));
        note_promise(fx, peer, Millis(reply.promise_ms));
    }
    if (reply.term > call.term && status_.writable)
        fence(fx, fmt::format("node {} is in the newer term {}", peer, reply.term), now);
}

// Nodes configured with another lease_timeout than this one are safe (the
// lease counts the quorum's promises) but worth a warning once.
void Core::note_promise(Effects& fx, int peer, Millis promise) {
    peer_promises_[peer] = promise;
    std::string mismatch;
    for (const auto& [id, p] : peer_promises_)
        if (p != settings_.lease_timeout)
            mismatch += fmt::format("{}node {} promises {} ms", mismatch.empty() ? "" : ", ", id, p.count());
    if (!mismatch.empty())
        mismatch += fmt::format(" while this node's lease_timeout is {} ms; the lease counts the quorum's shortest",
                                settings_.lease_timeout.count());
    if (mismatch != status_.lease_mismatch && !mismatch.empty())
        fx.notes.push_back({Level::warning, "lease_timeout differs between nodes: " + mismatch});
    status_.lease_mismatch = std::move(mismatch);
}

// Once, and once more if a round that found PostgreSQL down released it
// before the postmaster's exit was seen: the standbys then stop waiting.
void Core::release_lease(Effects& fx, TimePoint now, bool postmaster_exited) {
    if (released_ && (released_exited_ || !postmaster_exited)) return;
    bool again = released_;
    released_ = true;
    released_exited_ = postmaster_exited;
    decided(fx, postmaster_exited ? "the postmaster of this primary exited after a crash: releasing the lease so "
                                    "that a standby is elected at once"
                                  : "PostgreSQL of this primary is down: releasing the lease so that a standby can "
                                    "be elected");
    // The term it led: voters honour a release only from the leader of their term.
    auto term = led_term_ ? *led_term_ : voter_.record().term;
    PendingCall call;
    call.call = Call::release;
    broadcast(fx, std::move(call), peer::Release{term, settings_.node_id, postmaster_exited}, now);
    if (again) return;  // the event was recorded the first time
    Job event;
    event.kind = JobKind::record_event;
    event.event = "fencing";
    event.details = postmaster_exited ? "the postmaster of the primary exited after a crash; lease released"
                                      : "PostgreSQL of the primary stopped; lease released";
    run_job(fx, std::move(event));
}

// Stops PostgreSQL and runs the fencing hook; from then on fenced_round()
// decides, every tick, whether this node rejoins, stays stopped or unfences.
void Core::fence(Effects& fx, const std::string& reason, TimePoint now) {
    if (action_busy_ || owns_postgres(now)) return;
    status_.fenced = true;
    status_.fence_reason = reason;
    action_busy_ = true;
    lease_.reset();  // a fenced node holds no lease; an unfenced one starts a new one
    // No tick runs while it acts: peers must not be told it still sees a primary.
    status_.role = Role::unknown;
    status_.writable = false;
    primary_writable_ = false;
    decided(fx, "fencing: " + reason);
    Job job;
    job.kind = JobKind::fence;
    job.reason = reason;
    run_job(fx, std::move(job));
}

// The lease rule of fencing.mode = "quorum" (and of "ping" beyond two voters).
bool Core::quorum_lease_lost(TimePoint now) const {
    return voters() > 1 && settings_.fencing_mode != FencingMode::off && !ping_decides() && lease_->must_fence(now);
}

// The lease is gone: by the quorum rule, or in ping mode with no fresh answer.
bool Core::lease_lost(TimePoint now) const { return quorum_lease_lost(now) || ping_went_stale(now); }

void Core::fence_lost_lease(Effects& fx, TimePoint now) {
    auto lease = lease_ ? lease_->granted_for() : settings_.lease_timeout;
    fence(fx, fmt::format("lost the lease: no quorum acknowledged a heartbeat for {} ms", lease.count()), now);
}

// fencing.mode = "ping", two voters, the peer silent: the ping targets tell
// whether this primary is the isolated one.
bool Core::ping_decides() const {
    return election::ping_rule_applies(settings_.fencing_mode == FencingMode::ping, voters());
}

// Ping early enough that a failed check still fences before the margin runs out.
bool Core::ping_due(TimePoint now) const {
    auto budget = Millis(1000) * static_cast<long>(settings_.ping_targets) + Millis(500);
    return lease_->remaining(now) <= election::lease_margin(lease_->granted_for()) + budget;
}

// A ping answer stands in for the peer's acknowledgment for a few rounds at
// most: a primary past its lease with none that recent, and no check running
// that began that recently, fences (it woke up from a freeze, say).
bool Core::ping_went_stale(TimePoint now) const {
    if (!ping_decides() || settings_.fencing_mode == FencingMode::off || !lease_->must_fence(now)) return false;
    auto fresh_for = 2 * settings_.monitor_interval + Millis(1000) * static_cast<long>(settings_.ping_targets) +
                     Millis(500);
    bool answered_lately = last_ping_answer_ && now - *last_ping_answer_ <= fresh_for;
    bool checking_lately = ping_busy_ && now - ping_started_ <= fresh_for;
    return !answered_lately && !checking_lately;
}

void Core::ping_or_fence(Effects& fx, TimePoint now) {
    if (ping_busy_) return;
    ping_busy_ = true;
    ping_started_ = now;
    Job job;
    job.kind = JobKind::check_ping;
    run_job(fx, std::move(job));
}

void Core::ping_answered_as_primary(Effects& fx, const JobResult& result, TimePoint now) {
    ping_busy_ = false;
    // A heartbeat round may have been acknowledged while it pinged. (Held
    // lease, not the last round's view: a new primary's first round may be late.)
    if (!lease_ || status_.fenced || !ping_due(now)) return;
    if (!result.answered)
        return fence(fx, "the peer is lost and " + result.detail + " (fencing.mode = \"ping\")", now);
    last_ping_answer_ = ping_started_;  // what it proves dates from when it was asked
    if (ping_went_stale(now)) return fence_lost_lease(fx, now);
    decided(fx, fmt::format("no action: the peer does not acknowledge my heartbeats, but {}: staying primary "
                            "(fencing.mode = \"ping\")",
                            result.detail));
}

}  // namespace pgha::decision
