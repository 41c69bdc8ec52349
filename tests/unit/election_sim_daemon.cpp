// pghad in the simulation: a driver of the same decision core
// (lib/decision/core.hpp) that lib/monitor/daemon.cpp drives. It decides
// nothing itself: it hands the core its entry points with the node's local
// clock, and carries out the effects (messages over the simulated network,
// jobs as events some simulated time later, the timer). What the real daemon
// does on a worker thread is a job here.
#include <utility>

#include "election_sim_world.hpp"

namespace pgha::sim {
using decision::Call;
using decision::JobKind;

void World::start_daemon(Node& n) {
    auto store = [&n](const decision::Durable& d) { n.persisted = d; };
    n.daemon = std::make_unique<Daemon>(n.settings, n.persisted, store, local(n));
    note(n.id, "pghad starts (term {}, voted for {}, lease_timeout {} ms{})", n.persisted.voter.term,
         n.persisted.voter.voted_for ? std::to_string(*n.persisted.voter.voted_for) : "nobody",
         n.settings.lease_timeout.count(), n.persisted.paused ? ", paused" : "");
    carry(n, n.daemon->core.on_tick(local(n)));
}

void World::carry(Node& n, decision::Effects fx) {
    for (const auto& line : fx.notes) note(n.id, "{}", line.text);
    for (const auto& b : fx.broadcasts) send_broadcast(n, b);
    for (const auto& job : fx.jobs) start_job(n, job);
    if (fx.gather) {
        Time duration = 0;
        auto e = make(Ev::facts, 0, n.id);
        e.facts = gather(n, duration);
        e.generation = *fx.gather;
        e.at += duration;
        schedule(std::move(e));
    }
    if (fx.tick_in) arm_timer(n, *fx.tick_in);
}

// Re-arming the timer voids the tick armed before (asio's expires_after).
void World::arm_timer(Node& n, Millis delay) {
    auto e = make(Ev::tick, n.clock.sim_delay(delay), n.id);
    e.timer = ++n.daemon->timer;
    schedule(std::move(e));
}

void World::send_broadcast(Node& n, const decision::Broadcast& b) {
    if (b.call == Call::vote) ++result_.elections;
    if (b.call == Call::release) ++result_.releases;
    if (b.call == Call::unfence_heartbeat) ++result_.unfence_rounds;
    Message m;
    m.call = b.call;
    m.call_id = b.call_id;
    m.sender = n.id;
    m.request = b.message;
    auto timeout = n.clock.sim_delay(std::clamp(n.settings.monitor_interval, Millis(300), Millis(2000)));
    for (int peer : b.targets) {
        send_request(n, peer, m);
        auto e = make(Ev::timeout, timeout, n.id);
        e.peer = peer;
        e.msg.call_id = b.call_id;
        schedule(std::move(e));
    }
}

// The /peer/* routes. A vote request that needs the voter's own server read
// afresh is answered later, by on_vote_read (a worker in pghad).
std::optional<decision::Answer> World::handle_request(Node& n, const Event& e) {
    auto& core = n.daemon->core;
    const auto& m = e.msg;
    switch (m.call) {
    case Call::heartbeat:
    case Call::unfence_heartbeat: {
        auto [answer, fx] = core.on_heartbeat(std::get<peer::Heartbeat>(m.request), local(n));
        carry(n, std::move(fx));
        return answer;
    }
    case Call::release: {
        auto [answer, fx] = core.on_release(std::get<peer::Release>(m.request), local(n));
        carry(n, std::move(fx));
        return answer;
    }
    case Call::state_for_election:
    case Call::state_for_fenced: {  // read afresh, as pghad does
        std::optional<decision::LocalRead> fresh;
        if (!core.votes_without_wal() && n.pg.up) fresh = decision::LocalRead{true, n.pg.in_recovery, n.pg.lsn, {}};
        return core.on_state_request(local(n), fresh);
    }
    case Call::vote: {
        const auto& request = std::get<peer::VoteRequest>(m.request);
        if (auto refusal = core.check_vote(request, local(n))) return *refusal;
        auto read = e;  // the worker's libpq read of the local server
        read.kind = Ev::vote_read;
        read.at = now_ + Time(uniform(1, 30));
        schedule(std::move(read));
        return std::nullopt;
    }
    }
    return std::nullopt;
}

void World::on_vote_read(const Event& e) {
    auto& n = node(e.node);
    auto& core = n.daemon->core;
    const auto& request = std::get<peer::VoteRequest>(e.msg.request);
    decision::LocalRead fresh;
    if (!core.votes_without_wal() && n.pg.up) fresh = {true, n.pg.in_recovery, n.pg.lsn, {}};
    else if (!core.votes_without_wal()) fresh.error = "connection refused";
    auto answer = core.on_vote(request, fresh, local(n));
    note(n.id, "vote request of node {} in term {}: {}", request.candidate_id, request.term, answer.reason);
    if (answer.granted) {
        auto voter_lsn = !n.witness && n.pg.up ? std::optional(n.pg.lsn) : std::nullopt;
        grants_[{request.term, request.candidate_id}].push_back(
            {n.id, voter_lsn, fresh.lsn, node(request.candidate_id).pg.lsn});
    }
    send_reply(e, answer);
}

// Every event that needs the daemon's own process waits while it is frozen;
// its PostgreSQL and the child processes of its jobs (pg_ctl) run on.
bool World::waits_while_frozen(const Event& e) const {
    const auto& n = nodes_[e.node];
    if (!e.node || !n.daemon || !n.daemon->frozen_until) return false;
    switch (e.kind) {
    case Ev::tick:
    case Ev::facts:
    case Ev::request:
    case Ev::vote_read:
    case Ev::reply:
    case Ev::timeout:
    case Ev::job_done:
    case Ev::detected: return true;
    default: return false;
    }
}

void World::freeze(Node& n) {
    if (!n.daemon || n.daemon->frozen_until) return;
    auto lease = std::max(n.settings.lease_timeout, Millis(1000));
    auto length = Time(uniform(500, std::uint64_t(2 * lease.count())));
    n.daemon->frozen_until = now_ + length;
    ++result_.freezes;
    note(n.id, "pghad frozen (SIGSTOP) for {} ms, PostgreSQL runs on", length);
    schedule(make(Ev::thaw, length, n.id));
}

// Everything that waited is handled now, in the order it arrived.
void World::thaw(Node& n) {
    if (!n.daemon || !n.daemon->frozen_until) return;
    n.daemon->frozen_until.reset();
    if (std::exchange(n.daemon->reload_pending, false)) n.daemon->core.on_reload(n.settings);
    const auto& lease = n.daemon->core.lease();
    // A writable server whose daemon wakes without a valid lease (it may have
    // been frozen before its first primary round) can only be fenced from now.
    n.daemon->woke_late = n.pg.up && !n.pg.in_recovery && (!lease || lease->must_fence(local(n)));
    note(n.id, "pghad thawed{}", n.daemon->woke_late ? " with its lease run out"
                                 : lease ? fmt::format(" (lease valid for {} ms more)", lease->remaining(local(n)).count())
                                         : "");
    auto waiting = std::exchange(n.daemon->deferred, {});
    for (auto& e : waiting) {
        e.at = now_;
        schedule(std::move(e));
    }
}

// SIGHUP after its lease_timeout was changed in the file.
void World::reload(Node& n, Millis lease_timeout) {
    n.settings.lease_timeout = lease_timeout;
    ++result_.reloads;
    note(n.id, "SIGHUP: lease_timeout = {} ms", lease_timeout.count());
    if (n.daemon && !n.daemon->frozen_until) n.daemon->core.on_reload(n.settings);
    else if (n.daemon) n.daemon->reload_pending = true;  // a signal waits for the process too
}

// pgha daemon pause / unpause: the CLI reaches every daemon it can.
void World::pause_all(bool paused) {
    ++result_.pauses;
    note(0, "operator: pgha daemon {}", paused ? "pause" : "unpause");
    for (int id = 1; id <= n_; ++id) {
        auto& x = node(id);
        if (!x.host_up || !x.daemon || x.daemon->frozen_until || chance() < 0.1) continue;
        x.daemon->core.on_pause(paused);
    }
}

// pgha standby switchover's first step: hold automatic failover everywhere.
void World::hold_all(Time duration) {
    ++result_.holds;
    auto id = fmt::format("s{}", result_.holds);
    note(0, "operator: switchover {} holds automatic failover for {} ms", id, duration);
    for (int i = 1; i <= n_; ++i) {
        auto& x = node(i);
        if (!x.host_up || !x.daemon || x.daemon->frozen_until || chance() < 0.1) continue;
        decision::SwitchoverHold hold;
        hold.hold_id = id;
        hold.hold_until = local(x) + Millis(Time(double(duration) * x.clock.rate));
        carry(x, x.daemon->core.on_switchover(hold, false, local(x)));
    }
}

// ---- jobs: what a worker thread does in pghad is an event here.

void World::start_job(Node& n, const decision::Job& job) {
    switch (job.kind) {
    case JobKind::fence:
        ++result_.fences;
        return schedule_job(n, Job::fence, Time(uniform(20, 300)), job);  // pg_ctl stop -m immediate, then the hook
    case JobKind::promote: return schedule_job(n, Job::promote, Time(uniform(100, 1000)), job);
    case JobKind::rejoin: return schedule_job(n, Job::rejoin, Time(uniform(1000, 5000)), job);
    case JobKind::start_in_recovery: {
        ++result_.unfence_starts;
        start_in_recovery(n);
        auto longest = std::max<Time>(1000, options_.unfence_start_max.count());
        return schedule_job(n, Job::unfence_start, Time(uniform(1000, std::uint64_t(longest))), job);
    }
    case JobKind::stop_after_failed_unfence:
        return schedule_job(n, Job::unfence_stop, Time(uniform(100, 1000)), job);  // -m fast
    case JobKind::promote_unfenced: {
        auto e = make(Ev::job, 0, n.id);
        e.core_job = job;
        return run_unfence_job(n, e);
    }
    case JobKind::record_event: return;
    case JobKind::check_ping: {
        decision::JobResult result;
        result.answered = n.ping_ok;
        result.detail = n.ping_ok ? "a ping target answered" : "no ping target answers";
        auto e = make(Ev::job_done, Time(uniform(1, 1000)), n.id);
        e.core_job = job;
        e.result = result;
        return schedule(std::move(e));
    }
    }
}

// The job's worker returns: the core hears of it on the loop (later, if frozen).
void World::finish_job(Node& n, const decision::Job& job, decision::JobResult result) {
    auto e = make(Ev::job_done, 0, n.id);
    e.core_job = job;
    e.result = std::move(result);
    schedule(std::move(e));
}

}  // namespace pgha::sim
