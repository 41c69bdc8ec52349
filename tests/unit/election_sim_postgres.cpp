// The servers of the simulation and what the daemon's jobs do to them: WAL
// written on the primary and streamed to its standbys with the pgha metadata
// in it, timelines forked by every promotion, promote_elected (pg_promote,
// record_promotion, siblings follow), fencing, rejoin with pg_rewind, the
// unfence's start in recovery and promotion, and the facts a monitoring round
// gathers.
#include <algorithm>

#include "election_sim_world.hpp"

namespace pgha::sim {

std::optional<int> Meta::active_primary() const {
    for (int id = 1; id <= kMaxNodes; ++id)
        if (nodes[id].active && nodes[id].type == NodeType::primary) return id;
    return std::nullopt;
}

// ---- monitoring

// gather_facts: the local server, then the primary its metadata names (a
// connection that cannot be made costs the whole connect timeout).
decision::Facts World::gather(const Node& n, Time& duration) {
    decision::Facts f;
    duration = Time(uniform(1, 5));
    std::optional<int> primary;
    if (n.pg.up) {
        f.local = {true, n.pg.in_recovery, n.pg.lsn, {}};
        f.metadata_read = true;
        f.cluster_term = n.pg.meta.term;
        f.cluster_primary = n.pg.meta.primary_id;
        for (int id = 1; id <= n_; ++id)  // every registered node, active or not
            f.members.push_back({id, n.pg.meta.nodes[id].type == NodeType::witness, nodes_[id].priority, true});
        primary = n.pg.meta.active_primary();
    } else {
        f.local.error = "connection refused";
    }
    if (primary && *primary == n.id) {
        f.primary_writable = f.local.reachable && !f.local.in_recovery;
    } else if (primary) {
        const auto& p = nodes_[*primary];
        auto there = transit(n.id, p.id);
        auto back = transit(n.id, p.id);
        if (!p.host_up || !there || !back) {
            duration += std::max<Time>(1, n.settings.reconnect_interval.count() / 1000 + 1) * 1000;
        } else {
            duration += *there + *back;
            f.primary_writable = p.pg.up && !p.pg.in_recovery;
        }
    }
    return f;
}

// ---- WAL

void World::start_writing(Node& n) {
    if (n.pg.writing) return;
    n.pg.writing = true;
    schedule(make(Ev::write, Time(uniform(100, 300)), n.id));
}

// The application writes; the WAL goes to every standby streaming from here
// (the standby's walreceiver holds the connection, so it is the client).
void World::write(Node& n) {
    if (!n.host_up || !n.pg.up || n.pg.in_recovery) {
        n.pg.writing = false;
        return;
    }
    n.pg.lsn += uniform(100, 32 * 1024);
    for (int id = 1; id <= n_; ++id) {
        auto& s = nodes_[id];
        if (id == n.id || !s.host_up || !s.pg.up || !s.pg.in_recovery || s.pg.upstream != n.id) continue;
        auto delay = transit(id, n.id);
        if (!delay) continue;
        auto wal = make(Ev::wal, *delay, id);
        wal.peer = n.id;
        wal.lsn = n.pg.lsn;
        wal.timeline = n.pg.timeline;
        wal.meta = n.pg.meta;
        schedule(wal);
    }
    schedule(make(Ev::write, Time(uniform(100, 300)), n.id));
}

void World::on_wal(const Event& e) {
    auto& s = node(e.node);
    if (!s.host_up || s.incarnation != e.incarnation || !s.pg.up || !s.pg.in_recovery || s.pg.upstream != e.peer ||
        cut_[e.node][e.peer])
        return;
    if (e.timeline != s.pg.timeline) {
        if (s.pg.lsn > shared_history(s.pg.timeline, e.timeline)) return;  // forked: streaming fails
        s.pg.timeline = e.timeline;                                          // follows the timeline switch
    }
    if (e.lsn >= s.pg.lsn) {
        s.pg.lsn = e.lsn;
        s.pg.meta = e.meta;
    }
}

// The LSN up to which the histories of two timelines are the same WAL.
Lsn World::shared_history(int a, int b) const {
    if (a == b) return kNoFork;
    auto chain = [&](int t) {
        std::vector<int> c;
        for (; t != 0; t = timelines_[t].parent) c.push_back(t);
        std::reverse(c.begin(), c.end());
        return c;
    };
    auto ca = chain(a), cb = chain(b);
    std::size_t i = 0;
    while (i < ca.size() && i < cb.size() && ca[i] == cb[i]) ++i;
    Lsn end_a = i < ca.size() ? timelines_[ca[i]].fork : kNoFork;
    Lsn end_b = i < cb.size() ? timelines_[cb[i]].fork : kNoFork;
    return std::min(end_a, end_b);
}

bool World::can_follow(const Postgres& follower, const Postgres& target) const {
    return follower.lsn <= std::min(target.lsn, shared_history(follower.timeline, target.timeline));
}

// Re-points a standby (ALTER SYSTEM primary_conninfo); with `rewind_allowed`
// its WAL past the fork is thrown away first (pg_rewind). The target records
// it as its active standby (catalog::set_standby_of).
void World::follow(Node& follower, Node& target, bool rewind_allowed) {
    if (!can_follow(follower.pg, target.pg)) {
        if (!rewind_allowed) {
            note(follower.id, "cannot follow node {} without pg_rewind", target.id);
            return;
        }
        follower.pg.lsn = std::min(follower.pg.lsn, shared_history(follower.pg.timeline, target.pg.timeline));
        follower.pg.timeline = target.pg.timeline;
        note(follower.id, "pg_rewind to {} on timeline {}", format_lsn(follower.pg.lsn), target.pg.timeline);
    }
    follower.pg.upstream = target.id;
    target.pg.meta.nodes[follower.id] = {NodeType::standby, true};
    target.pg.lsn += 100;
    note(follower.id, "now a standby of node {}", target.id);
}

// ---- jobs

void World::schedule_job(Node& n, Job step, Time delay, const decision::Job& job) {
    auto e = make(Ev::job, delay, n.id);
    e.job = step;
    e.core_job = job;
    schedule(std::move(e));
}

// `immediate`: pg_ctl stop -m immediate, which pg_control shows as a crash.
void World::stop_postgres(Node& n, const char* why, bool immediate) {
    if (!n.pg.up) return;
    n.pg.up = false;
    n.pg.down_since = now_;
    if (n.daemon) n.daemon->woke_late = false;
    note(n.id, "{}", why);
    postmaster_exited(n, immediate);
}

// The daemon's pidfd on the postmaster: it hears of the exit a moment later
// (once thawed, if frozen).
void World::postmaster_exited(Node& n, bool crashed) {
    auto e = make(Ev::detected, Time(uniform(1, 20)), n.id);
    e.detected = crashed ? decision::Detected::postmaster_crashed : decision::Detected::postmaster_stopped;
    schedule(std::move(e));
    upstream_closed(n);
}

// A server or host that goes away closes the standbys' connections to it
// (their daemons' UpstreamWatch); a cut network closes nothing.
void World::upstream_closed(const Node& primary) {
    for (int id = 1; id <= n_; ++id) {
        const auto& s = nodes_[id];
        if (id == primary.id || !s.host_up || !s.pg.up || !s.pg.in_recovery || s.pg.upstream != primary.id) continue;
        auto delay = transit(id, primary.id);
        if (!delay) continue;
        auto e = make(Ev::detected, *delay, id);
        e.detected = decision::Detected::upstream_lost;
        schedule(std::move(e));
    }
}

void World::run_job(const Event& e) {
    auto& n = node(e.node);
    const auto& job = e.core_job;
    switch (e.job) {
    case Job::fence:
        stop_postgres(n, "fenced: PostgreSQL stopped", true);
        return finish_job(n, job);
    case Job::promote:
        if (!n.pg.up || !n.pg.in_recovery) {
            note(n.id, "promotion after winning term {} failed: PostgreSQL {}", job.term,
                 n.pg.up ? "is not in recovery" : "is down");
            return finish_job(n, job);
        }
        promote(n, job.term);
        return schedule_job(n, Job::checkpoint, Time(uniform(10, 1500)), job);  // CHECKPOINT, record_promotion
    case Job::checkpoint:
        if (!n.pg.up || n.pg.in_recovery) {
            note(n.id, "promotion in term {} failed: the server went away", job.term);
            return finish_job(n, job);
        }
        record_promotion(n, job.term);
        return schedule_job(n, Job::siblings_follow, Time(uniform(10, 300)), job);
    case Job::siblings_follow:
        if (n.pg.up && !n.pg.in_recovery) siblings_follow(n);
        return finish_job(n, job);
    case Job::rejoin:
        rejoin(n, job.target);
        return finish_job(n, job);
    case Job::unfence_start:
    case Job::unfence_promote:
    case Job::unfence_promoted:
    case Job::unfence_checkpoint:
    case Job::unfence_stop: return run_unfence_job(n, e);
    case Job::operator_rejoin:
        n.operator_busy = false;
        rejoin(n, e.peer);
        return;
    case Job::operator_start_standby:
        n.operator_busy = false;
        if (!n.pg.up) {
            n.pg.up = true;
            n.pg.in_recovery = true;
            if (!n.pg.upstream) n.pg.upstream = n.pg.meta.active_primary().value_or(0);
            note(n.id, "PostgreSQL started as a standby");
        }
        return;
    case Job::operator_follow: {
        n.operator_busy = false;
        auto& target = node(e.peer);
        bool reachable = target.host_up && target.pg.up && !target.pg.in_recovery && transit(n.id, target.id);
        if (n.pg.up && n.pg.in_recovery && reachable) follow(n, target, true);
        return;
    }
    }
}

// lib/monitor/unfence.cpp in steps: start_in_recovery polls until the server
// has replayed its own WAL (unfence_start); promote_unfenced runs pg_promote
// with a wait of the whole seconds left before the deadline (unfence_promote;
// a timed-out promotion may still land before the stop: unfence_promoted),
// then the worker returns (unfence_checkpoint); a failure stops the server again
// (unfence_stop, which carries the job's result).
void World::run_unfence_job(Node& n, const Event& e) {
    const auto& job = e.core_job;
    auto stop_again = [&](const std::string& detail, decision::JobResult result, Time delay) {
        note(n.id, "unfencing: {}; stopping PostgreSQL again", detail);
        auto stop = make(Ev::job, delay, n.id);
        stop.job = Job::unfence_stop;
        stop.core_job = job;
        stop.result = std::move(result);
        schedule(std::move(stop));
    };
    decision::JobResult failed;
    failed.ok = false;
    switch (e.job) {
    case Job::unfence_start: {
        if (n.pg.up && n.pg.in_recovery) return finish_job(n, job);
        decision::JobResult result;
        if (n.pg.up) result.failure = "it did not replay its WAL in time (the server left recovery by itself)";
        else {
            ++result_.unfence_starts_lost;
            result.failure = "it did not replay its WAL in time (PostgreSQL stopped during recovery)";
        }
        return stop_again(*result.failure, result, Time(uniform(50, 500)));
    }
    case Job::unfence_stop:
        stop_postgres(n, "unfencing: PostgreSQL stopped again", false);
        return finish_job(n, job, e.result);
    case Job::unfence_promote: {
        if (!n.pg.up) return stop_again("cannot connect to PostgreSQL", failed, Time(uniform(50, 500)));
        if (!n.pg.in_recovery)
            return stop_again("pg_promote(): recovery is not in progress", failed, Time(uniform(50, 500)));
        if (!e.flag) {  // pg_promote() returned false; the server goes on promoting while it is stopped
            auto stop = Time(uniform(50, 500));
            if (e.started < now_ + stop) {
                auto lands = make(Ev::job, e.started - now_, n.id);
                lands.job = Job::unfence_promoted;
                schedule(std::move(lands));
            }
            return stop_again("pg_promote() did not finish in time", failed, stop);
        }
        promote_unfenced(n);
        if (local(n) > job.deadline) {
            ++result_.unfences_late;
            return stop_again("the promotion finished after the new lease's margin", failed, Time(uniform(50, 500)));
        }
        return schedule_job(n, Job::unfence_checkpoint, Time(uniform(1, 50)), job);  // the worker returns
    }
    case Job::unfence_promoted:  // a timed-out promotion lands before the immediate stop
        if (n.pg.up && n.pg.in_recovery) {
            ++result_.unfences_late;
            promote_unfenced(n);
        }
        return;
    case Job::unfence_checkpoint:
        if (!n.pg.up || n.pg.in_recovery) return stop_again("the server went away", failed, Time(uniform(50, 500)));
        ++result_.unfences;
        note(n.id, "fencing_lifted: PostgreSQL replayed its WAL in recovery and was promoted within a lease a "
                   "quorum granted again");
        return finish_job(n, job);
    default: return start_unfence_promotion(n, job);
    }
}

// The start of promote_unfenced: pg_promote(true, s) waits at most s = the
// whole seconds left before the deadline, at least 1; it takes `takes`.
void World::start_unfence_promotion(Node& n, const decision::Job& job) {
    auto left = std::chrono::duration_cast<Millis>(job.deadline - local(n)).count();
    Time wait = std::max<Time>(1, left / 1000) * 1000;
    auto takes = Time(uniform(100, std::max<Time>(100, options_.unfence_promote_max.count())));
    auto promote = make(Ev::job, std::min(takes, wait), n.id);
    promote.job = Job::unfence_promote;
    promote.core_job = job;
    promote.flag = takes <= wait;
    promote.started = now_ + takes;
    schedule(std::move(promote));
}

// pg_promote(): a new timeline forks at the WAL received so far.
void World::promote(Node& n, std::int64_t term) {
    for (const auto& grant : grants_[{term, n.id}])
        if (grant.voter_lsn && *grant.voter_lsn > grant.candidate_lsn)
            violation(Invariant::voters_not_ahead,
                      fmt::format("node {} is promoted in term {}, but node {} granted its vote with WAL up to {}, "
                                  "ahead of the candidate's {} (its daemon voted with {})",
                                  n.id, term, grant.voter, format_lsn(*grant.voter_lsn),
                                  format_lsn(grant.candidate_lsn),
                                  grant.voted_with ? format_lsn(*grant.voted_with) : "no LSN: server down"));
    timelines_.push_back({n.pg.timeline, n.pg.lsn});
    n.pg.timeline = int(timelines_.size()) - 1;
    n.pg.in_recovery = false;
    n.pg.upstream = 0;
    n.unfenced = false;
    ++result_.promotions;
    note(n.id, "promoted in term {} at {} (timeline {})", term, format_lsn(n.pg.lsn), n.pg.timeline);
    start_writing(n);
}

// catalog::record_promotion: the other primary records go inactive.
void World::record_promotion(Node& n, std::int64_t elected_term) {
    auto& meta = n.pg.meta;
    for (int id = 1; id <= n_; ++id)
        if (meta.nodes[id].type == NodeType::primary && id != n.id) meta.nodes[id].active = false;
    meta.nodes[n.id] = {NodeType::primary, true};
    meta.term = std::max(meta.term + 1, elected_term);
    meta.primary_id = n.id;
    n.pg.lsn += 200;
    note(n.id, "metadata: primary of term {}", meta.term);
}

// promote_now's siblings_follow: every other active standby of the metadata,
// re-pointed when it can be reached and follow without pg_rewind.
void World::siblings_follow(Node& n) {
    for (int id = 1; id <= n_; ++id) {
        auto& s = nodes_[id];
        if (id == n.id || !n.pg.meta.nodes[id].active || n.pg.meta.nodes[id].type != NodeType::standby) continue;
        bool reachable = s.host_up && s.pg.up && s.pg.in_recovery && transit(n.id, id) && transit(n.id, id);
        if (!reachable) {
            note(n.id, "sibling node {} could not follow: unreachable", id);
            continue;
        }
        follow(s, n, false);
    }
}

// rejoin_node: the target must be a writable primary that its own metadata
// names; the server (stopped) is rewound when its WAL forked, then started as
// a standby of the target.
bool World::rejoin(Node& n, int target_id) {
    auto& t = node(target_id);
    auto fail = [&](const char* why) {
        note(n.id, "rejoin of node {} failed: {}", target_id, why);
        return false;
    };
    if (n.pg.up) return fail("PostgreSQL is running");
    if (!t.host_up || !transit(n.id, t.id) || !transit(n.id, t.id)) return fail("the target cannot be reached");
    if (!t.pg.up || t.pg.in_recovery) return fail("the target is not a primary");
    if (t.pg.meta.active_primary() != target_id) return fail("the target's metadata names another primary");
    n.pg.up = true;
    n.pg.in_recovery = true;
    n.pg.meta = t.pg.meta;
    follow(n, t, true);
    n.pg.meta = t.pg.meta;
    return true;
}

// start_in_recovery: standby.signal, then the service starts (a no-op when the
// server runs already); after the immediate stop of fencing the server goes
// through crash recovery as a standby, not writable, and replays its own WAL
// (the unfence_start job's length). It has no upstream: it does not stream.
void World::start_in_recovery(Node& n) {
    if (n.pg.up) {
        note(n.id, "unfencing: PostgreSQL runs already ({})", n.pg.in_recovery ? "in recovery" : "as primary");
        return;
    }
    n.pg.up = true;
    n.pg.in_recovery = true;
    n.pg.upstream = 0;
    note(n.id, "unfencing: PostgreSQL starts in recovery at {} (timeline {}, term {} in its metadata)",
         format_lsn(n.pg.lsn), n.pg.timeline, n.pg.meta.term);
}

// promote_unfenced's pg_promote(): a standby's promotion, so a new timeline
// forks at its WAL; its metadata still names it primary of the term it led.
void World::promote_unfenced(Node& n) {
    timelines_.push_back({n.pg.timeline, n.pg.lsn});
    n.pg.timeline = int(timelines_.size()) - 1;
    n.pg.in_recovery = false;
    n.pg.upstream = 0;
    n.unfenced = true;
    note(n.id, "unfencing: promoted at {} (timeline {}, term {} in its metadata)", format_lsn(n.pg.lsn),
         n.pg.timeline, n.pg.meta.term);
    start_writing(n);
}

std::optional<int> World::writable_primary() const {
    std::optional<int> best;
    for (int id = 1; id <= n_; ++id) {
        const auto& x = nodes_[id];
        if (x.witness || !x.host_up || !x.pg.up || x.pg.in_recovery) continue;
        if (!best || x.pg.meta.term > nodes_[*best].pg.meta.term) best = id;
    }
    return best;
}

}  // namespace pgha::sim
