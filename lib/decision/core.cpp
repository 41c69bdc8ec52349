// The decision core's helpers, its tick and the requests of its peers. The
// primary's, the standby's and the fenced node's rounds are in core_*.cpp.
#include "decision/core.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace pgha::decision {

const char* role_name(Role role) {
    switch (role) {
    case Role::primary: return "primary";
    case Role::standby: return "standby";
    case Role::witness: return "witness";
    case Role::unknown: break;
    }
    return "unknown";
}

const char* call_path(Call call) {
    switch (call) {
    case Call::heartbeat:
    case Call::unfence_heartbeat: return "/peer/heartbeat";
    case Call::release: return "/peer/release";
    case Call::state_for_election:
    case Call::state_for_fenced: return "/peer/state";
    case Call::vote: return "/peer/vote";
    }
    return "/peer/state";
}

Core::Core(Settings settings, Durable durable, Store store, TimePoint now)
    : settings_(settings), durable_(durable), store_(std::move(store)),
      voter_(durable.voter, settings.lease_timeout, now) {
    status_.paused = durable_.paused;
    status_.term = durable_.voter.term;
}

// ---- helpers

// Every registered node votes, active or not: a failover deactivates the old
// primary, and a voter set that shrank with it would let two smaller quorums
// that do not overlap each elect a primary. Unregister a node gone for good.
std::vector<int> Core::peer_ids() const {
    std::vector<int> out;
    for (const auto& m : members_)
        if (m.node_id != settings_.node_id && m.has_daemon) out.push_back(m.node_id);
    return out;
}

std::size_t Core::voters() const { return std::max<std::size_t>(members_.size(), 1); }

const Member* Core::member(int node_id) const {
    for (const auto& m : members_)
        if (m.node_id == node_id) return &m;
    return nullptr;
}

bool Core::is_witness() const {
    const auto* self = member(settings_.node_id);
    return self && self->witness;
}

std::optional<std::string> Core::persist(Effects& fx) {
    durable_.voter = voter_.record();
    status_.term = durable_.voter.term;
    try {
        store_(durable_);
    } catch (const std::exception& error) {
        fx.notes.push_back({Level::warning, std::string("cannot save the voter's state: ") + error.what()});
        return std::string(error.what());
    }
    return std::nullopt;
}

void Core::decided(Effects& fx, std::string sentence) {
    if (sentence != status_.last_decision) fx.notes.push_back({Level::info, sentence});
    status_.last_decision = std::move(sentence);
}

void Core::broadcast(Effects& fx, PendingCall call, Outgoing message, TimePoint now) {
    auto targets = peer_ids();
    if (targets.empty()) return all_answered(fx, call, now);
    auto id = next_id_++;
    call.waiting = targets;
    fx.broadcasts.push_back({id, call.call, targets, std::move(message)});
    calls_.emplace(id, std::move(call));
}

std::uint64_t Core::run_job(Effects& fx, Job job, std::optional<election::StandbySnapshot> snapshot) {
    job.id = next_id_++;
    if (job.kind != JobKind::record_event) jobs_.emplace(job.id, PendingJob{job, std::move(snapshot)});
    fx.jobs.push_back(std::move(job));
    return fx.jobs.back().id;
}

void Core::action_done() {
    action_busy_ = false;
    ++action_generation_;
}

void Core::notice_term(Effects& fx, std::int64_t term) {
    if (term <= voter_.record().term) return;
    voter_.observe_term(term);
    persist(fx);
}

std::optional<std::string> Core::hold_reason(TimePoint now) const { return decision::hold_reason(switchover_, now); }

std::optional<std::string> Core::owns_postgres(TimePoint now) const {
    return decision::owns_postgres(switchover_, now);
}

// The next tick comes after monitor_interval, or sooner: when a wait of the
// standby ends, or when the lease reaches its margin (with a short lease the
// margin is shorter than the interval).
void Core::next_tick(Effects& fx, TimePoint now) {
    auto delay = settings_.monitor_interval;
    if (next_tick_sooner_) delay = std::min(delay, *next_tick_sooner_);
    next_tick_sooner_.reset();
    if (lease_) {
        auto until_margin = lease_->expires_at() - election::lease_margin(lease_->granted_for()) - now;
        delay = std::min(delay, std::chrono::duration_cast<Millis>(until_margin) + Millis(1));
    }
    fx.tick_in = std::max(delay, Millis(10));
}

// ---- the tick

Effects Core::on_tick(TimePoint now) {
    Effects fx;
    // A primary whose lease ran out while its daemon was not scheduled
    // (frozen, starved, a paused VM), or while a monitoring round or its own
    // promotion was still running, fences before anything else: its
    // PostgreSQL may already be taking writes. In ping mode only an answer of
    // a ping target that is still fresh lets it run on (primary_round pings).
    // (A node holds a lease only while it is, or is becoming, primary.)
    if (lease_ && !status_.fenced && !action_busy_ && lease_lost(now)) {
        fence_lost_lease(fx, now);
        next_tick(fx, now);
        return fx;
    }
    if (heartbeat_due(now)) heartbeat_round(fx, *lease_term_, now);
    // In ping mode the check of the targets must not wait for a late round either.
    if (lease_ && !status_.fenced && !action_busy_ && ping_decides() && ping_due(now)) ping_or_fence(fx, now);
    if (tick_busy_) {
        next_tick(fx, now);
        return fx;
    }
    tick_busy_ = true;
    start_round(fx, now);  // ticks go on while the round runs (heartbeats, the lease's margin)
    return fx;
}

void Core::start_round(Effects& fx, TimePoint now) {
    round_started_ = now;
    fx.gather = action_generation_;
    next_tick(fx, now);
}

Effects Core::on_facts(const Facts& facts, std::uint64_t generation, TimePoint now) {
    Effects fx;
    if (std::exchange(stale_round_, false)) {  // read before what was detected since: read again
        start_round(fx, now);
        return fx;
    }
    tick_busy_ = false;
    if (generation == action_generation_ && !action_busy_) {
        adopt_facts(fx, facts);
        dispatch_round(fx, facts, now);
    }
    next_tick(fx, now);
    return fx;
}

void Core::adopt_facts(Effects& fx, const Facts& facts) {
    // Unreadable metadata keeps the members of the last round.
    if (facts.metadata_read || members_.empty()) members_ = facts.members;
    metadata_read_ = facts.metadata_read;
    cluster_term_ = facts.metadata_read ? facts.cluster_term : 0;
    cluster_primary_ = facts.metadata_read ? facts.cluster_primary : 0;
    primary_writable_ = facts.primary_writable;
    if (facts.metadata_read) notice_term(fx, facts.cluster_term);
    const auto& local = facts.local;
    status_.postgres_up = local.reachable;
    if (local.reachable) stopped_cleanly_ = false;
    status_.role = !local.reachable ? Role::unknown
                   : is_witness()   ? Role::witness
                   : local.in_recovery ? Role::standby
                                       : Role::primary;
    status_.writable = local.reachable && !local.in_recovery && !is_witness();
    status_.lsn = local.lsn;
    status_.term = voter_.record().term;
    if (status_.role == Role::standby && status_.fenced) {
        status_.fenced = false;  // rejoined
        status_.fence_reason.clear();
    }
}

void Core::dispatch_round(Effects& fx, const Facts& facts, TimePoint now) {
    bool reachable = facts.local.reachable;
    if (status_.role == Role::primary) primary_round(fx, now);
    else if (status_.fenced) fenced_round(fx, now);
    else if (auto why = owns_postgres(now); why && !reachable)
        decided(fx, *why);  // stopped by a switchover, not crashed: no lease release
    else if (was_primary_ && !reachable && !stopped_cleanly_) release_lease(fx, now);
    else if (was_primary_ && !reachable) decided(fx, "no action: PostgreSQL of this primary was shut down cleanly");
    else if (status_.role == Role::standby) standby_round(fx, now);
    else if (status_.role == Role::witness) decided(fx, "no action: witness, voting only");
    else decided(fx, "no action: PostgreSQL is not reachable: " + facts.local.error);
    if (status_.role != Role::primary && !promoting_term_) lease_.reset();
    was_primary_ = status_.role == Role::primary || (was_primary_ && !reachable);
}

// ---- requests from peers

std::pair<peer::Reply, Effects> Core::on_heartbeat(const peer::Heartbeat& m, TimePoint now) {
    Effects fx;
    auto before = voter_.record().term;
    auto reply = voter_.on_heartbeat(m.term, m.leader_id, now);
    if (reply.granted) status_.last_primary_contact = now;
    if (voter_.record().term != before) persist(fx);
    // A running primary that hears of a newer term is a returning old primary.
    if (status_.writable && m.leader_id != settings_.node_id && m.term > before)
        fence(fx, fmt::format("node {} is primary in the newer term {}", m.leader_id, m.term), now);
    return {{reply.granted, reply.term, settings_.node_id, reply.reason, reply.promise.count()}, std::move(fx)};
}

std::pair<peer::Reply, Effects> Core::on_release(const peer::Release& m, TimePoint now) {
    Effects fx;
    bool honoured = voter_.on_release(m.term, m.leader_id);
    fx.notes.push_back({Level::info, fmt::format("node {} released its lease of term {}{}", m.leader_id, m.term,
                                                 m.postmaster_exited ? " (its postmaster exited)" : "")});
    if (honoured) {
        // Its own daemon saw the primary's PostgreSQL stop: the last round's
        // view of it is stale, and the failure threshold runs from now (or
        // not at all when the postmaster is gone: nothing to reconnect to).
        primary_writable_ = false;
        if (status_.role == Role::standby && !lost_since_) lost_since_ = now;
        if (m.postmaster_exited) primary_exited_ = true;
    }
    wake(fx);
    return {{true, voter_.record().term, settings_.node_id, "released"}, std::move(fx)};
}

// A fresh round now; a running one read its facts before this event.
void Core::wake(Effects& fx) {
    if (tick_busy_) stale_round_ = true;
    else fx.tick_in = Millis(0);
}

Effects Core::on_detected(Detected what, TimePoint now) {
    Effects fx;
    if (what == Detected::upstream_lost) {
        fx.notes.push_back({Level::info, "the connection to the primary broke: checking it now"});
        wake(fx);
        return fx;
    }
    bool crashed = what == Detected::postmaster_crashed;
    bool was_writable = status_.role == Role::primary || was_primary_;
    status_.postgres_up = false;
    status_.writable = false;
    status_.role = Role::unknown;
    stopped_cleanly_ = !crashed;
    if (!status_.fenced && !action_busy_ && !owns_postgres(now) && was_writable) {
        primary_writable_ = false;
        was_primary_ = true;
        if (crashed) release_lease(fx, now, true);
        else decided(fx, "PostgreSQL of this primary was shut down cleanly (a planned stop or restart): the lease is "
                         "not released, it runs out unless PostgreSQL is back before");
        if (!promoting_term_) lease_.reset();
    }
    wake(fx);
    return fx;
}

peer::State Core::on_state_request(TimePoint now, const std::optional<LocalRead>& fresh) const {
    bool fresh_wal = fresh && fresh->reachable && fresh->lsn && !is_witness();
    return {settings_.node_id,
            role_name(status_.role),
            (status_.writable && !status_.fenced) || primary_writable_,
            fresh_wal ? fresh->lsn : status_.lsn,
            settings_.priority,
            voter_.record().term,
            durable_.paused || hold_reason(now).has_value(),
            unfencing()};
}

VoteCheck Core::check_vote(const peer::VoteRequest&, TimePoint now) const {
    auto refuse = [&](std::string reason) {
        return peer::Reply{false, voter_.record().term, settings_.node_id, std::move(reason)};
    };
    if (hold_reason(now)) return refuse("a switchover holds automatic failover");
    if (primary_writable_ && status_.role == Role::standby) return refuse("I still see the primary");
    if (unfencing()) return refuse("I am unfencing: nobody was elected after I fenced, I take my lease back");
    return std::nullopt;
}

peer::Reply Core::on_vote(const peer::VoteRequest& m, const LocalRead& fresh, TimePoint now) {
    if (auto refusal = check_vote(m, now)) return *refusal;  // it may have changed while the driver read
    // Refused or not, the candidate learns which timelines this node knows.
    auto refuse = [&](std::string reason) {
        return peer::Reply{false, voter_.record().term, settings_.node_id, std::move(reason), 0, fresh.newest_timeline};
    };
    // The local server as read afresh: WAL received since the last tick must
    // count, or a candidate behind it could win.
    std::optional<Lsn> own_lsn;
    if (!is_witness()) {
        if (fresh.reachable && !fresh.in_recovery && !status_.fenced) return refuse("I am a running primary");
        if (fresh.reachable && !fresh.lsn) return refuse("cannot read my own WAL position");
        if (!fresh.reachable && status_.postgres_up) return refuse("my PostgreSQL does not answer now: " + fresh.error);
        own_lsn = fresh.reachable ? fresh.lsn : std::nullopt;
    }
    auto reply = voter_.on_vote_request({m.term, m.candidate_id, m.candidate_lsn}, own_lsn, now);
    if (reply.granted) {
        Effects ignored;
        if (auto error = persist(ignored)) return refuse("cannot persist the vote: " + *error);  // on disk first
    }
    return {reply.granted, reply.term, settings_.node_id, reply.reason, reply.promise.count(), fresh.newest_timeline};
}

peer::Reply Core::on_pause(bool paused) {
    durable_.paused = paused;
    store_(durable_);
    status_.paused = paused;
    return {true, voter_.record().term, settings_.node_id, paused ? "paused" : "unpaused"};
}

Effects Core::on_switchover(const SwitchoverHold& hold, bool postgres_changing, TimePoint) {
    Effects fx;
    switchover_ = hold;
    if (!postgres_changing) return fx;
    status_.writable = false;  // a step starts or ends: look again now
    if (!tick_busy_) fx.tick_in = Millis(0);
    return fx;
}

Effects Core::on_local_change() {
    Effects fx;
    wake(fx);
    return fx;
}

void Core::on_reload(const Settings& settings) {
    settings_ = settings;
    voter_.set_lease_timeout(settings.lease_timeout);
    if (lease_) lease_->set_own_promise(settings.lease_timeout);
    peer_promises_.clear();  // compared again with the new value
}

}  // namespace pgha::decision
