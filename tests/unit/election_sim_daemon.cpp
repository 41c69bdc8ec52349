// The daemon of lib/monitor/daemon.cpp, step for step: the same guards in the
// same order, the same calls into lib/election, the voter's record persisted at
// the same moments. Functions are named after Daemon::Impl's. What the real
// daemon does on a worker thread (gathering facts, fencing, promoting,
// rejoining) is a job: an event some simulated time later.
#include <utility>

#include "election_sim_world.hpp"

namespace pgha::sim {
using namespace election;

namespace {

Millis lease_margin(Millis lease_timeout) { return std::max(Millis(200), lease_timeout / 5); }

}  // namespace

const char* role_name(Role role) {
    switch (role) {
    case Role::primary: return "primary";
    case Role::standby: return "standby";
    case Role::witness: return "witness";
    case Role::unknown: break;
    }
    return "unknown";
}

// ---- helpers

std::vector<int> World::peers(const Daemon& d, int self) const {
    std::vector<int> out;
    if (!d.have_records) return out;
    for (int id = 1; id <= n_; ++id)
        if (id != self) out.push_back(id);  // every registered node, active or not
    return out;
}

std::size_t World::voters(const Daemon& d) const {
    std::size_t count = 0;
    if (d.have_records)
        for (int id = 1; id <= n_; ++id) ++count;  // every registered node: a deactivated old primary still counts
    return std::max<std::size_t>(count, 1);
}

bool World::is_witness(const Daemon& d, int self) const {
    return d.have_records && d.records[self].type == NodeType::witness;
}

void World::persist(Node& n) { n.persisted = n.daemon->voter.record(); }

void World::decided(Node& n, std::string sentence) {
    auto& d = *n.daemon;
    if (sentence != d.last_decision) note(n.id, "{}", sentence);
    d.last_decision = std::move(sentence);
}

void World::broadcast(Node& n, PendingCall call, Message request) {
    auto& d = *n.daemon;
    auto targets = peers(d, n.id);
    if (targets.empty()) return on_all_answered(n, call);
    call.id = d.next_call++;
    call.waiting = targets;
    request.call = call.call;
    request.call_id = call.id;
    request.sender = n.id;
    d.calls.push_back(std::move(call));
    auto peer_timeout = std::clamp(options_.monitor_interval, Millis(300), Millis(2000)).count();
    for (int peer : targets) {
        send_request(n, peer, request);
        auto timeout = make(Ev::timeout, peer_timeout, n.id);
        timeout.peer = peer;
        timeout.msg.call_id = request.call_id;
        schedule(timeout);
    }
}

// ---- the tick

void World::start_daemon(Node& n) {
    n.daemon.emplace(n.persisted, options_.lease_timeout, now_);
    note(n.id, "pghad starts (term {}, voted for {})", n.persisted.term,
         n.persisted.voted_for ? std::to_string(*n.persisted.voted_for) : "nobody");
    tick(n);
}

void World::tick(Node& n) {
    Time duration = 0;
    n.daemon->gathered_generation = n.daemon->action_generation;
    n.daemon->gathered = gather(n, duration);
    schedule(make(Ev::facts, duration, n.id));
}

void World::on_facts(Node& n) {
    auto& d = *n.daemon;
    if (d.gathered_generation != d.action_generation || d.action_busy) return;  // stale: an action ran meanwhile
    const Facts& f = d.gathered;
    if (f.metadata_read) {  // unreadable metadata keeps the records of the last round
        d.records = f.meta.nodes;
        d.have_records = true;
    }
    d.metadata_read = f.metadata_read;
    d.cluster_term = f.metadata_read ? f.meta.term : 0;
    d.cluster_primary = f.metadata_read ? f.meta.primary_id : 0;
    d.primary_writable = f.primary_writable;
    if (f.metadata_read && f.meta.term > d.voter.record().term) {
        d.voter.observe_term(f.meta.term);
        persist(n);
    }
    d.postgres_up = f.reachable;
    d.role = !f.reachable ? Role::unknown
             : is_witness(d, n.id) ? Role::witness
             : f.in_recovery ? Role::standby
                             : Role::primary;
    d.writable = f.reachable && !f.in_recovery && !is_witness(d, n.id);
    d.lsn = f.lsn;
    if (d.role == Role::standby && d.fenced) {
        d.fenced = false;  // rejoined
        d.fence_reason.clear();
    }

    if (d.role == Role::primary && d.election_busy) decided(n, "no action: promoting after my election");
    else if (d.role == Role::primary) primary_round(n);
    else if (d.fenced) fenced_round(n);
    else if (d.was_primary && !f.reachable) release_lease(n);
    else if (d.role == Role::standby) standby_round(n);
    else if (d.role == Role::witness) decided(n, "no action: witness, voting only");
    else decided(n, "no action: PostgreSQL is not reachable");
    if (d.role != Role::primary) d.lease.reset();
    d.was_primary = d.role == Role::primary || (d.was_primary && !f.reachable);
}

// ---- primary side

void World::primary_round(Node& n) {
    auto& d = *n.daemon;
    d.released = false;
    if (d.fenced) return fence(n, "PostgreSQL runs again on a fenced node");
    if (!d.metadata_read) return decided(n, "no action: this primary's pgha metadata cannot be read");
    std::int64_t term = d.cluster_primary == n.id ? d.cluster_term : 0;
    d.led_term = term;
    if (d.voter.record().term > term)
        return fence(n, fmt::format("term {} is newer than the term {} I lead", d.voter.record().term, term));
    if (d.lease && d.won && d.won->first == term) {  // fence() drops the lease: never since b2cdec2
        ++result_.stale_leases;
        note(n.id, "unfenced with the lease of before it fenced (last acknowledged round sent at {:.3f} s)",
             double((d.lease->expires_at() - tp(0) - options_.lease_timeout) / Millis(1)) / 1000);
    }
    if (!d.lease) {
        auto granted_at = d.won && d.won->first == term ? d.won->second : now_;
        d.won.reset();
        d.lease.emplace(voters(d), options_.lease_timeout, lease_margin(options_.lease_timeout), tp(granted_at));
        note(n.id, "leads term {}: lease of {} voters until {:.3f} s", term, voters(d),
             double((d.lease->expires_at() - tp(0)) / Millis(1)) / 1000);
    }
    if (auto [leader, inserted] = leaders_.emplace(term, n.id);
        leader->second != n.id && second_leaders_.emplace(term, n.id).second)
        violation(Invariant::one_leader_per_term,
                  fmt::format("node {} leads term {}, which node {} led before", n.id, term, leader->second));
    auto round = ++d.round;
    d.lease->set_voters(voters(d));
    d.lease->round_sent(round, tp(now_));
    PendingCall call;
    call.call = Call::heartbeat;
    call.round = round;
    call.term = term;
    Message heartbeat;
    heartbeat.term = term;
    heartbeat.round = round;
    broadcast(n, std::move(call), heartbeat);
    if (std::exchange(d.unfenced_just_now, false) && voters(d) > 1 && d.lease->must_fence(tp(now_)))
        ++result_.unfences_refenced;
    if (voters(d) > 1 && d.lease->must_fence(tp(now_)))
        return fence(n, fmt::format("lost the lease: no quorum acknowledged a heartbeat for {} ms",
                                    options_.lease_timeout.count()));
    decided(n, fmt::format("no action: I am node {}, the primary of term {} with a lease", n.id, term));
}

void World::release_lease(Node& n) {
    auto& d = *n.daemon;
    if (d.released) return;
    d.released = true;
    ++result_.releases;
    decided(n, "PostgreSQL of this primary is down: releasing the lease so that a standby can be elected");
    PendingCall call;
    call.call = Call::release;
    Message release;
    release.term = d.led_term ? *d.led_term : d.voter.record().term;  // voters honour only their term's leader
    broadcast(n, std::move(call), release);
}

// The fencing hook, then pg_ctl stop -m immediate; from then on fenced_round()
// decides, every tick, whether this node rejoins, stays stopped or unfences.
void World::fence(Node& n, const std::string& reason) {
    auto& d = *n.daemon;
    if (d.action_busy) return;
    d.fenced = true;
    d.fence_reason = reason;
    d.action_busy = true;
    d.lease.reset();  // a fenced node holds no lease; an unfenced one starts a new one
    // No tick runs while it acts: peers must not be told it still sees a primary.
    d.role = Role::unknown;
    d.writable = false;
    d.primary_writable = false;
    ++result_.fences;
    decided(n, "fencing: " + reason);
    auto job = make(Ev::job, Time(uniform(50, 500)), n.id);  // fencing hook, then pg_ctl stop -m immediate
    job.job = Job::fence;
    schedule(job);
}

// A fenced node with PostgreSQL stopped asks its peers what they see.
void World::fenced_round(Node& n) {
    auto& d = *n.daemon;
    if (d.action_busy) return;
    d.action_busy = true;
    PendingCall call;
    call.call = Call::state_for_fenced;
    broadcast(n, std::move(call), Message{});
}

// A primary in a newer term is rejoined (auto_rejoin) or waited out; with no
// newer term anywhere it tries to take its lease back and unfence.
void World::after_fenced_survey(Node& n, const PendingCall& call) {
    auto& d = *n.daemon;
    const std::pair<int, std::optional<PeerState>>* newest_primary = nullptr;
    auto newest_term = d.voter.record().term;
    auto led = d.led_term.value_or(0);
    for (const auto& entry : call.reports) {
        const auto& state = *entry.second;
        newest_term = std::max(newest_term, state.term);
        if (state.role == Role::primary && state.sees_primary && state.term > led &&
            (!newest_primary || state.term > newest_primary->second->term))
            newest_primary = &entry;
    }
    if (trace_) {
        std::string seen;
        for (const auto& [peer, state] : call.reports)
            seen += fmt::format(" {}={}/t{}{}", peer, role_name(state->role), state->term,
                                state->sees_primary ? "/sees" : "");
        note(n.id, "fenced survey (my term {}, led {}):{}", d.voter.record().term, d.led_term.value_or(0),
             seen.empty() ? " nobody answers" : seen);
    }
    if (newest_term > d.voter.record().term) {
        d.voter.observe_term(newest_term);
        persist(n);
    }
    if (newest_primary) {
        int peer = newest_primary->first;
        auto term = newest_primary->second->term;
        if (!options_.auto_rejoin)
            return decided(n, fmt::format("fenced ({}); node {} is the primary of term {} and [fencing] auto_rejoin "
                                          "is off: PostgreSQL stays stopped",
                                          d.fence_reason, peer, term));
        decided(n, fmt::format("fenced; rejoining as a standby of node {} (term {})", peer, term));
        d.action_busy = true;
        auto job = make(Ev::job, Time(uniform(1000, 5000)), n.id);
        job.job = Job::rejoin;
        job.peer = peer;
        return schedule(job);
    }
    if (newest_term > led)
        return decided(n, fmt::format("fenced ({}); term {} is newer than the term {} I led and its primary is not "
                                      "visible yet: PostgreSQL stays stopped, asking again",
                                      d.fence_reason, newest_term, led));
    if (now_ < d.next_unfence_attempt)
        return decided(n, fmt::format("fenced ({}); the last attempt to unfence failed: trying again later",
                                      d.fence_reason));
    // Without answers from a quorum the lease cannot come back: do not even start PostgreSQL.
    if (call.reports.size() + 1 < quorum(voters(d)))
        return decided(n, fmt::format("fenced ({}); only {} of {} voters answer: PostgreSQL stays stopped",
                                      d.fence_reason, call.reports.size() + 1, voters(d)));
    try_unfence(n, led);
}

void World::unfence_failed(Node& n, const std::string& why) {
    auto& d = *n.daemon;
    d.action_busy = false;
    ++d.action_generation;
    d.next_unfence_attempt = now_ + std::max(Millis(10'000), 10 * options_.monitor_interval).count();
    decided(n, fmt::format("fenced ({}); unfencing failed: {}", d.fence_reason, why));
}

// A worker of the unfence stops the server again (stop_now: pg_ctl stop -m
// immediate; stop_after_failed_unfence: -m fast), then unfence_failed(why).
// `detail` is what the worker logs.
void World::unfence_stop(Node& n, const std::string& why, const std::string& detail, Time duration) {
    n.daemon->unfence_failure = why;
    note(n.id, "unfencing: {}; stopping PostgreSQL again", detail);
    auto job = make(Ev::job, duration, n.id);
    job.job = Job::unfence_stop;
    schedule(job);
}

// Nobody was elected after this node fenced. Its server replays its own WAL
// as a standby first (start_in_recovery, a worker), however long that takes.
void World::try_unfence(Node& n, std::int64_t led) {
    auto& d = *n.daemon;
    d.action_busy = true;
    ++result_.unfence_starts;
    decided(n, fmt::format("unfencing: no newer term exists; PostgreSQL starts in recovery to replay its WAL, "
                           "then asks a quorum for the lease of term {}",
                           led));
    start_in_recovery(n);
    auto job = make(Ev::job, Time(uniform(1000, std::max<Time>(1000, options_.unfence_start_max.count()))), n.id);
    job.job = Job::unfence_start;
    job.term = led;
    job.started = now_;
    schedule(job);
}

// Then a heartbeat round in its own term that a quorum acknowledges is a fresh
// lease (those voters promise not to vote for lease_timeout), and only then is
// it promoted, within that lease.
void World::ask_for_lease_back(Node& n, std::int64_t led) {
    auto& d = *n.daemon;
    auto sent_at = now_;
    ++result_.unfence_rounds;
    PendingCall call;
    call.call = Call::unfence_heartbeat;
    call.term = led;
    call.grants = 1;
    call.asked_at = sent_at;
    Message heartbeat;
    heartbeat.term = led;
    heartbeat.round = ++d.round;
    call.round = heartbeat.round;
    broadcast(n, std::move(call), heartbeat);
}

// ---- standby side

void World::standby_round(Node& n) {
    auto& d = *n.daemon;
    if (d.primary_writable) {
        d.lost_since.reset();
        return decided(n, "no action: connected to the primary");
    }
    if (!d.lost_since) d.lost_since = now_;
    if (d.election_busy || d.action_busy) return;
    auto s = base_snapshot(n);
    if (auto early = check_local_guards(s)) return decided(n, early->reason);
    d.election_busy = true;
    PendingCall call;
    call.call = Call::state_for_election;
    broadcast(n, std::move(call), Message{});
}

StandbySnapshot World::base_snapshot(const Node& n) const {
    const auto& d = *n.daemon;
    StandbySnapshot s;
    s.self_id = n.id;
    s.upstream_connected = false;
    s.upstream_lost_for = Millis(now_ - d.lost_since.value_or(now_));
    s.failure_threshold = options_.reconnect_attempts * options_.reconnect_interval;
    s.lease_expired = d.voter.lease_expired(tp(now_));
    s.lease_remaining = d.voter.promise_remaining(tp(now_));
    s.voters = voters(d);
    s.maximum_lag = options_.maximum_lag_on_failover;
    s.candidates.push_back({n.id, true, false, n.priority, d.lsn});
    return s;
}

void World::on_peer_states(Node& n, const PendingCall& call) {
    auto& d = *n.daemon;
    auto s = base_snapshot(n);
    for (const auto& [peer, state] : call.reports) {
        s.peers.push_back({peer, state.has_value(), state && state->sees_primary});
        bool witness = d.records[peer].type == NodeType::witness || (state && state->role == Role::witness);
        s.candidates.push_back({peer, state && state->role == Role::standby, witness,
                                state ? state->priority : node(peer).priority, state ? state->lsn : std::nullopt});
    }
    if (trace_) {
        std::string seen;
        for (const auto& [peer, state] : call.reports)
            seen += state ? fmt::format(" {}={}/{}{}", peer, role_name(state->role),
                                        state->lsn ? format_lsn(*state->lsn) : "-", state->sees_primary ? "/sees" : "")
                          : fmt::format(" {}=?", peer);
        note(n.id, "peers:{}", seen);
    }
    auto decision = decide_standby(s);
    decided(n, decision.reason);
    if (decision.action != Action::start_election) {
        d.election_busy = false;
        return;
    }
    run_election(n);
}

void World::run_election(Node& n) {
    auto& d = *n.daemon;
    auto term = d.voter.start_candidacy(n.id, tp(now_));
    persist(n);
    ++result_.elections;
    PendingCall call;
    call.call = Call::vote;
    call.term = term;
    call.needed = quorum(voters(d));
    call.grants = 1;
    call.asked_at = now_;
    Message request;
    request.term = term;
    request.lsn = d.lsn.value_or(0);
    decided(n, fmt::format("electing: asking for votes in term {} at LSN {} (need {} of {})", term,
                           format_lsn(request.lsn), call.needed, voters(d)));
    broadcast(n, std::move(call), request);
}

// ---- answers to this daemon's broadcasts

void World::on_answer(Node& n, PendingCall& call, int peer, const std::optional<Message>& reply) {
    auto& d = *n.daemon;
    switch (call.call) {
    case Call::heartbeat:
        if (!reply || !d.lease) return;
        if (reply->granted && reply->reply_term == call.term) d.lease->acknowledged(call.round, peer);
        if (reply->reply_term > call.term && d.writable)
            fence(n, fmt::format("node {} is in the newer term {}", peer, reply->reply_term));
        return;
    case Call::unfence_heartbeat:
        if (!reply) return;
        if (reply->granted && reply->reply_term == call.term) ++call.grants;
        return;
    case Call::release: return;
    case Call::state_for_election:
        call.reports.emplace_back(peer, reply ? std::optional(reply->state) : std::nullopt);
        return;
    case Call::state_for_fenced:
        if (reply) call.reports.emplace_back(peer, reply->state);
        return;
    case Call::vote:
        if (!reply) return;
        if (reply->granted) ++call.grants;
        if (reply->reply_term > d.voter.record().term) {
            d.voter.observe_term(reply->reply_term);
            persist(n);
        }
        return;
    }
}

void World::on_all_answered(Node& n, const PendingCall& call) {
    auto& d = *n.daemon;
    switch (call.call) {
    case Call::heartbeat:
    case Call::release: return;
    case Call::state_for_election: return on_peer_states(n, call);
    case Call::state_for_fenced:
        d.action_busy = false;
        return after_fenced_survey(n, call);
    case Call::unfence_heartbeat: {
        auto needed = quorum(voters(d));
        // Its own acknowledgment last (not persisted, as in the daemon): a failed
        // attempt must not stop it voting for another.
        if (call.grants < needed || d.voter.record().term != call.term ||
            !d.voter.on_heartbeat(call.term, n.id, tp(now_)).granted) {
            auto why = fmt::format("only {} of {} voters acknowledge my term {} (a quorum is {})", call.grants,
                                   voters(d), call.term, needed);
            return unfence_stop(n, why, why, Time(uniform(100, 1000)));  // stop_after_failed_unfence: -m fast
        }
        decided(n, fmt::format("unfencing: {} of {} voters acknowledge my term {}: promoting", call.grants, voters(d),
                               call.term));
        d.won = {call.term, call.asked_at};  // the lease counts from this round
        // promote_unfenced: pg_promote(true, s) waits at most s = the whole seconds left before the
        // deadline, at least 1; the promotion itself takes `takes`.
        Time deadline = call.asked_at + options_.lease_timeout.count() - lease_margin(options_.lease_timeout).count();
        Time wait = std::max<Time>(1, (deadline - now_) / 1000) * 1000;
        auto takes = Time(uniform(100, std::max<Time>(100, options_.unfence_promote_max.count())));
        auto job = make(Ev::job, std::min(takes, wait), n.id);
        job.job = Job::unfence_promote;
        job.term = call.term;
        job.flag = takes <= wait;
        job.started = now_ + takes;
        job.deadline = deadline;
        return schedule(job);
    }
    case Call::vote: {
        if (call.grants < call.needed || d.voter.record().term != call.term) {
            d.election_busy = false;
            return decided(n, fmt::format("election of term {} lost: {} of {} votes", call.term, call.grants,
                                          call.needed));
        }
        decided(n, fmt::format("won the election of term {} with {} votes: promoting", call.term, call.grants));
        d.won = {call.term, call.asked_at};
        auto job = make(Ev::job, Time(uniform(100, 1000)), n.id);  // connect, pg_promote(true, 60)
        job.job = Job::promote;
        job.term = call.term;
        return schedule(job);
    }
    }
}

void World::job_done(Node& n, const Event& e) {
    auto& d = *n.daemon;
    switch (e.job) {
    case Job::fence:
        d.action_busy = false;
        ++d.action_generation;
        return fenced_round(n);
    case Job::promote:
    case Job::checkpoint:
    case Job::siblings_follow:
        d.election_busy = false;
        ++d.action_generation;
        d.lost_since.reset();
        return;
    case Job::rejoin:
        d.action_busy = false;
        ++d.action_generation;
        return;
    case Job::unfence_start:
        // start_in_recovery polls until its server has replayed its own WAL to the end (the job's length).
        if (n.pg.up && n.pg.in_recovery) return ask_for_lease_back(n, e.term);
        if (n.pg.up) {
            auto why = std::string("it did not replay its WAL in time (the server left recovery by itself)");
            return unfence_stop(n, why, why, Time(uniform(50, 500)));
        }
        // Its server crashed: start_in_recovery sees no postmaster at its next poll and gives up.
        ++result_.unfence_starts_lost;
        return unfence_stop(n, "it did not replay its WAL in time (PostgreSQL stopped during recovery)",
                            "its server does not answer", Time(uniform(50, 500)));
    case Job::unfence_promote: {
        // promote_unfenced: a failure of any kind stops the server at once (stop_now).
        const std::string failed = "the promotion did not finish in time";
        if (!n.pg.up) return unfence_stop(n, failed, "cannot connect to PostgreSQL", Time(uniform(50, 500)));
        if (!n.pg.in_recovery)
            return unfence_stop(n, failed, "pg_promote(): recovery is not in progress", Time(uniform(50, 500)));
        if (!e.flag) {  // pg_promote() returned false; the server goes on promoting while it is stopped
            auto stop = Time(uniform(50, 500));
            if (e.started < now_ + stop) {
                auto lands = make(Ev::job, e.started - now_, n.id);
                lands.job = Job::unfence_promoted;
                schedule(lands);
            }
            return unfence_stop(n, failed, "pg_promote() did not finish in time", stop);
        }
        promote_unfenced(n);
        if (now_ > e.deadline) {
            ++result_.unfences_late;
            return unfence_stop(n, failed, "the promotion finished after the new lease's margin",
                                Time(uniform(50, 500)));
        }
        auto next = make(Ev::job, Time(uniform(10, 1500)), n.id);  // CHECKPOINT
        next.job = Job::unfence_checkpoint;
        next.term = e.term;
        return schedule(next);
    }
    case Job::unfence_promoted:  // a timed-out promotion lands before the immediate stop
        if (n.pg.up && n.pg.in_recovery) {
            ++result_.unfences_late;
            promote_unfenced(n);
        }
        return;
    case Job::unfence_checkpoint:
        if (!n.pg.up || n.pg.in_recovery)
            return unfence_stop(n, "the promotion did not finish in time", "CHECKPOINT: the server went away",
                                Time(uniform(50, 500)));
        ++result_.unfences;
        note(n.id, "fencing_lifted: PostgreSQL replayed its WAL in recovery and was promoted within a lease a "
                   "quorum granted again");
        d.action_busy = false;
        ++d.action_generation;
        d.fenced = false;
        d.fence_reason.clear();
        d.unfenced_just_now = true;
        return;
    case Job::unfence_stop:
        if (n.pg.up) {
            n.pg.up = false;
            n.pg.down_since = now_;
            note(n.id, "unfencing: PostgreSQL stopped again");
        }
        return unfence_failed(n, d.unfence_failure);
    case Job::operator_rejoin:
    case Job::operator_follow:
    case Job::operator_start_standby: return;
    }
}

// ---- requests from peers (the /peer/* routes)

Message World::handle_request(Node& n, const Message& m) {
    auto& d = *n.daemon;
    Message reply;
    reply.call = m.call;
    reply.call_id = m.call_id;
    reply.sender = n.id;
    switch (m.call) {
    case Call::heartbeat:
    case Call::unfence_heartbeat: {
        auto before = d.voter.record().term;
        auto r = d.voter.on_heartbeat(m.term, m.sender, tp(now_));
        if (d.voter.record().term != before) persist(n);
        if (d.writable && m.sender != n.id && m.term > before)
            fence(n, fmt::format("node {} is primary in the newer term {}", m.sender, m.term));
        reply.granted = r.granted;
        reply.reply_term = r.term;
        return reply;
    }
    case Call::release:
        d.voter.on_release(m.term, m.sender);
        note(n.id, "node {} released its lease of term {}", m.sender, m.term);
        reply.granted = true;
        reply.reply_term = d.voter.record().term;
        return reply;
    case Call::state_for_election:
    case Call::state_for_fenced:
        reply.granted = true;
        reply.reply_term = d.voter.record().term;
        reply.state = {d.role, (d.writable && !d.fenced) || d.primary_writable, d.lsn, n.priority,
                       d.voter.record().term};
        return reply;
    case Call::vote: {
        reply.reply_term = d.voter.record().term;
        // The local server is read afresh: the last tick's LSN may be behind.
        bool up = n.pg.up, in_recovery = n.pg.in_recovery;
        if (up && !in_recovery && !is_witness(d, n.id) && !d.fenced) return reply;  // "I am a running primary"
        if (d.primary_writable && d.role == Role::standby) return reply;  // "I still see the primary"
        if (!is_witness(d, n.id) && !up && d.postgres_up) return reply;  // "my PostgreSQL does not answer now"
        std::optional<Lsn> own_lsn = is_witness(d, n.id) || !up ? std::nullopt : std::optional(n.pg.lsn);
        auto r = d.voter.on_vote_request({m.term, m.sender, m.lsn}, own_lsn, tp(now_));
        reply.granted = r.granted;
        reply.reply_term = r.term;
        note(n.id, "vote request of node {} in term {}: {}", m.sender, m.term, r.reason);
        if (r.granted) {
            persist(n);  // on disk before the reply announces it
            auto voter_lsn = !n.witness && n.pg.up ? std::optional(n.pg.lsn) : std::nullopt;
            grants_[{m.term, m.sender}].push_back({n.id, voter_lsn, own_lsn, node(m.sender).pg.lsn});
        }
        return reply;
    }
    }
    return reply;
}

}  // namespace pgha::sim
