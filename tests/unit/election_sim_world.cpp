// The event loop of the election simulation, its network, its faults, the
// operator who brings stopped servers back, and the checks made after every
// event.
#include <cmath>

#include "election_sim_world.hpp"

namespace pgha::sim {

World::World(std::uint64_t seed, const Options& options, const Trace* trace)
    : seed_(seed), options_(options), trace_(trace), rng_(seed) {}

std::uint64_t World::uniform(std::uint64_t lo, std::uint64_t hi) { return lo + rng_() % (hi - lo + 1); }

double World::chance() { return double(rng_() >> 11) * 0x1.0p-53; }

Event World::make(Ev kind, Time delay, int id) {
    Event e;
    e.at = now_ + delay;
    e.kind = kind;
    e.node = id;
    e.incarnation = id ? nodes_[id].incarnation : 0;
    return e;
}

void World::schedule(Event event) {
    event.seq = seq_++;
    queue_.push(std::move(event));
}

void World::log_line(int id, const std::string& text) {
    (*trace_)(id ? fmt::format("[{:8.3f} s] node {}: {}", double(now_) / 1000, id, text)
                 : fmt::format("[{:8.3f} s] {}", double(now_) / 1000, text));
}

const char* describe(Invariant invariant) {
    switch (invariant) {
    case Invariant::one_lease_holder: return "two nodes held a primary lease at once";
    case Invariant::one_leader_per_term: return "two nodes led the same term";
    case Invariant::voters_not_ahead: return "a node was promoted with less WAL than a voter that granted it";
    case Invariant::one_writable_server: return "two PostgreSQL servers accepted writes at once";
    }
    return "?";
}

void World::violation(Invariant invariant, const std::string& what) {
    note(0, "VIOLATION: {}", what);
    if (result_.violations.size() < 20)
        result_.violations.push_back({invariant, fmt::format("[{:8.3f} s] {}", double(now_) / 1000, what)});
}

// ---- setup

void World::setup() {
    struct Topology { int data; bool witness; };
    static constexpr Topology topologies[] = {{3, false}, {3, true}, {2, true}, {4, true}, {5, false}, {2, false}};
    auto topology = topologies[uniform(0, std::size(topologies) - 1)];
    n_ = topology.data + (topology.witness ? 1 : 0);
    ping_topology_ = n_ == 2;  // two voters: fencing.mode = "ping", the explicit opt-in
    result_.ping_mode = ping_topology_;
    fencing_off_ = !ping_topology_ && chance() < 0.05;
    static constexpr double losses[] = {0, 0, 0.01, 0.05};
    static constexpr Time delays[] = {5, 20, 100, 300};
    loss_ = losses[uniform(0, 3)];
    delay_max_ = delays[uniform(0, 3)];
    timelines_ = {{}, {0, 0}};
    // Some clusters run nodes with different lease_timeout values.
    bool mismatched = chance() < 0.3;
    static constexpr Millis leases[] = {Millis(3000), Millis(5000), Millis(10'000)};

    Meta meta;
    for (int id = 1; id <= n_; ++id) {
        bool witness = id > topology.data;
        meta.nodes[id] = {id == 1 ? NodeType::primary : witness ? NodeType::witness : NodeType::standby, true};
    }
    for (int id = 1; id <= n_; ++id) {
        auto& n = nodes_[id];
        n.id = id;
        n.witness = id > topology.data;
        n.pg.up = true;
        n.pg.in_recovery = !n.witness && id != 1;
        n.pg.lsn = n.witness ? 0 : Lsn(1) << 24;
        n.pg.upstream = n.pg.in_recovery ? 1 : 0;
        n.pg.meta = meta;  // the witness keeps this copy for good: nothing refreshes it
        n.settings = node_settings(id, mismatched ? leases[uniform(0, 2)] : options_.lease_timeout);
        n.clock = random_clock();
        schedule(make(Ev::daemon_start, Time(uniform(0, 3000)), id));
    }
    int priority_zero = 0;
    if (topology.data > 2 && chance() < 0.2) {
        priority_zero = int(uniform(2, topology.data));
        nodes_[priority_zero].priority = 0;
        nodes_[priority_zero].settings.priority = 0;
    }
    start_writing(nodes_[1]);

    result_.topology = fmt::format("{} data nodes{}{}, loss {}%, delay <= {} ms{}{}", topology.data,
                                   topology.witness ? " + witness" : "",
                                   priority_zero ? fmt::format(" (node {} priority 0)", priority_zero) : "",
                                   loss_ * 100, delay_max_, ping_topology_ ? ", fencing ping" : "",
                                   fencing_off_ ? ", fencing off" : mismatched ? ", mixed lease_timeout" : "");
    note(0, "{}", result_.topology);
    schedule(make(Ev::fault, options_.chaos_from.count(), 0));
    schedule(make(Ev::final_heal, options_.final_heal.count(), 0));
    schedule(make(Ev::sweep, 10'000, 0));
}

decision::Settings World::node_settings(int id, Millis lease_timeout) const {
    decision::Settings s;
    s.node_id = id;
    s.priority = nodes_[id].priority;
    s.fencing_mode = ping_topology_ ? decision::FencingMode::ping
                     : fencing_off_ ? decision::FencingMode::off
                                    : decision::FencingMode::quorum;
    s.auto_rejoin = options_.auto_rejoin;
    s.ping_targets = ping_topology_ ? 1 : 0;
    s.monitor_interval = options_.monitor_interval;
    s.reconnect_attempts = options_.reconnect_attempts;
    s.reconnect_interval = options_.reconnect_interval;
    s.lease_timeout = lease_timeout;
    s.maximum_lag = options_.maximum_lag_on_failover;
    return s;
}

// A steady clock off real time by up to the stated drift, often at the bound.
Clock World::random_clock() {
    double drift = options_.clock_drift;
    double r = chance();
    double rate = r < 0.3 ? 1 - drift : r < 0.6 ? 1 + drift : 1 - drift + 2 * drift * chance();
    return {rate, Time(uniform(0, 1'000'000'000))};
}

// ---- the loop

RunResult World::run() {
    result_.seed = seed_;
    setup();
    auto end = options_.duration.count();
    while (!queue_.empty() && queue_.top().at <= end) {
        auto e = queue_.top();
        queue_.pop();
        now_ = e.at;
        dispatch(e);
        ++result_.events;
        check_invariants();
    }
    now_ = end;
    check_invariants();
    if (overlap_since_) result_.writable_overlap += Millis(now_ - *overlap_since_);
    if (unprotected_since_) result_.unprotected_overlap += Millis(now_ - *unprotected_since_);
    for (int id = 1; id <= n_; ++id) result_.lease_holders_at_end += nodes_[id].holding ? 1 : 0;
    for (int id = 1; id <= n_; ++id)
        result_.ended_unfenced = result_.ended_unfenced || (result_.recovered() && nodes_[id].holding &&
                                                            nodes_[id].unfenced);
    return result_;
}

void World::dispatch(const Event& e) {
    auto& n = nodes_[e.node];
    bool alive = e.node && n.host_up && n.incarnation == e.incarnation;
    if (alive && waits_while_frozen(e)) return n.daemon->deferred.push_back(e);
    switch (e.kind) {
    case Ev::daemon_start:
        if (alive && !n.daemon) start_daemon(n);
        return;
    case Ev::tick:
        if (alive && n.daemon && e.timer == n.daemon->timer) carry(n, n.daemon->core.on_tick(local(n)));
        return;
    case Ev::facts:
        if (alive && n.daemon) carry(n, n.daemon->core.on_facts(e.facts, e.generation, local(n)));
        return;
    case Ev::write:
        if (alive) write(n);
        return;
    case Ev::wal: return on_wal(e);
    case Ev::request: return on_request(e);
    case Ev::vote_read:
        if (alive && n.daemon) on_vote_read(e);
        return;
    case Ev::reply: return on_reply(e);
    case Ev::timeout: return on_timeout(e);
    case Ev::job:
        if (alive) run_job(e);
        return;
    case Ev::job_done:
        if (alive && n.daemon) carry(n, n.daemon->core.on_job_done(e.core_job.id, e.result, local(n)));
        return;
    case Ev::thaw:
        if (alive) thaw(n);
        return;
    case Ev::fault: return fault();
    case Ev::restart: return restart_host(n);
    case Ev::sweep:
        sweep();
        return schedule(make(Ev::sweep, 10'000, 0));
    case Ev::final_heal: return final_heal();
    case Ev::detected:
        if (alive && n.daemon) carry(n, n.daemon->core.on_detected(e.detected, local(n)));
        return;
    }
}

// ---- network: a cut is per direction and stops connections from `client`
// to `server` (so requests and their replies, and WAL to a standby whose
// walreceiver is the client); any message may also be lost or delayed.

std::optional<Time> World::transit(int client, int server) {
    if (cut_[client][server] || chance() < loss_) return std::nullopt;
    return Time(uniform(1, delay_max_));
}

void World::send_request(Node& from, int to, const Message& m) {
    auto delay = transit(from.id, to);
    if (!delay) return;  // the sender's timeout answers for it
    auto e = make(Ev::request, *delay, to);
    e.peer = from.id;
    e.msg = m;
    e.msg.sender = from.id;
    e.client_incarnation = from.incarnation;
    schedule(e);
}

void World::on_request(const Event& e) {
    auto& server = node(e.node);
    if (!server.host_up || server.incarnation != e.incarnation || !server.daemon || cut_[e.peer][e.node]) return;
    // A vote is answered after the read of its own server (on_vote_read).
    if (auto answer = handle_request(server, e)) send_reply(e, *answer);
}

// The answer to `request` goes back over the same connection.
void World::send_reply(const Event& request, decision::Answer answer) {
    auto delay = transit(request.peer, request.node);
    if (!delay) return;
    auto reply = make(Ev::reply, *delay, request.peer);
    reply.incarnation = request.client_incarnation;
    reply.peer = request.node;
    reply.msg.call = request.msg.call;
    reply.msg.call_id = request.msg.call_id;
    reply.msg.sender = request.node;
    reply.msg.answer = std::move(answer);
    schedule(std::move(reply));
}

void World::on_reply(const Event& e) {
    auto& client = node(e.node);
    if (!client.host_up || client.incarnation != e.incarnation || !client.daemon || cut_[e.node][e.peer]) return;
    carry(client, client.daemon->core.on_answer(e.msg.call_id, e.peer, e.msg.answer, local(client)));
}

void World::on_timeout(const Event& e) {
    auto& client = node(e.node);
    if (!client.host_up || client.incarnation != e.incarnation || !client.daemon) return;
    carry(client, client.daemon->core.on_answer(e.msg.call_id, e.peer, std::nullopt, local(client)));
}

// ---- faults

void World::fault() {
    double r = chance();
    if (r < 0.26) partition();
    else if (r < 0.42) heal();
    else if (r < 0.52) {
        auto primary = writable_primary();
        crash_host(node(primary && chance() < 0.5 ? *primary : int(uniform(1, n_))));
    } else if (r < 0.62) {
        if (auto primary = writable_primary()) crash_postgres(node(*primary));
    } else if (r < 0.67) {
        int id = int(uniform(1, n_));
        if (!node(id).witness) crash_postgres(node(id));
    } else if (r < 0.75) {
        auto primary = writable_primary();
        freeze(node(primary && chance() < 0.5 ? *primary : int(uniform(1, n_))));
    } else if (r < 0.81) {
        static constexpr Millis leases[] = {Millis(3000), Millis(5000), Millis(10'000)};
        auto lease = leases[uniform(0, 2)];
        if (chance() < 0.5) reload(node(int(uniform(1, n_))), lease);  // one node
        else
            for (int id = 1; id <= n_; ++id) reload(node(id), lease);  // every node, one after the other
    } else if (r < 0.84) {
        pause_all(chance() < 0.5);
    } else if (r < 0.87) {
        hold_all(Time(uniform(2000, 15'000)));
    } else if (r < 0.90 && ping_topology_) {
        int id = int(uniform(1, n_));
        // A target may stop answering anyone; it never answers a node cut off from it.
        node(id).ping_ok = !node(id).ping_ok && !cut_from_targets_[id];
        note(id, "ping targets {}", node(id).ping_ok ? "answer" : "do not answer");
    } else {
        static constexpr double losses[] = {0, 0.01, 0.05, 0.2};
        static constexpr Time delays[] = {5, 50, 300, 1200};
        loss_ = losses[uniform(0, 3)];
        delay_max_ = delays[uniform(0, 3)];
        note(0, "network now loses {}% and delays up to {} ms", loss_ * 100, delay_max_);
    }
    auto next = Time(-double(options_.mean_fault_interval.count()) * std::log(1 - chance()));
    if (now_ + next < options_.final_heal.count()) schedule(make(Ev::fault, next, 0));
}

void World::heal() {
    if (whole_since_ < 0) whole_since_ = now_;
    cut_ = {};
    cut_from_targets_ = {};
    for (int id = 1; id <= n_; ++id) node(id).ping_ok = true;
    note(0, "network healed");
}

void World::partition() {
    // fencing.mode = "ping" cannot tell which node is cut off when the cut
    // moves from one node to the other before they hear each other again:
    // the model lets a cut begin only after 20 s of a whole network.
    if (ping_topology_ && (whole_since_ < 0 || now_ - whole_since_ < 20'000)) return heal();
    whole_since_ = -1;
    cut_ = {};
    cut_from_targets_ = {};
    ++result_.partitions;
    std::array<bool, kMaxNodes + 1> side{};
    bool any = false, all = true;
    for (int id = 1; id <= n_; ++id) {
        side[id] = chance() < 0.5;
        any = any || side[id];
        all = all && side[id];
    }
    if (!any || all) side[int(uniform(1, n_))] = !all;
    auto kind = uniform(0, 3);
    // fencing.mode = "ping" assumes a node cut from its peer is cut from the
    // ping targets too (README: where that fails, both nodes run as primary):
    // only whole nodes are cut off, and they lose the targets.
    if (ping_topology_) kind = 0;
    if (kind == 0) {  // one node alone
        side = {};
        side[int(uniform(1, n_))] = true;
    }
    for (int a = 1; a <= n_; ++a)
        for (int b = 1; b <= n_; ++b) {
            if (a == b) continue;
            if (kind == 3) cut_[a][b] = chance() < 0.3;               // random one-way cuts
            else if (kind == 2) cut_[a][b] = side[a] && !side[b];     // one side cannot reach the other
            else cut_[a][b] = side[a] != side[b];                     // two sides
        }
    if (ping_topology_) {  // the node alone is cut from the ping targets too; the other reaches them
        cut_from_targets_ = {};
        for (int id = 1; id <= n_; ++id) {
            cut_from_targets_[id] = side[id];
            node(id).ping_ok = !side[id];
        }
    }
    if (trace_) {
        std::string cuts;
        for (int a = 1; a <= n_; ++a)
            for (int b = 1; b <= n_; ++b)
                if (cut_[a][b]) cuts += fmt::format(" {}->{}", a, b);
        note(0, "partition: connections cut{}", cuts);
    }
}

void World::crash_host(Node& n) {
    if (!n.host_up) return;
    ++result_.host_crashes;
    n.restarts_as_standby = n.pg.up && n.pg.in_recovery;
    n.host_up = false;
    ++n.incarnation;
    n.daemon.reset();
    n.holding = false;
    if (n.pg.up) n.pg.down_since = now_;
    n.pg.up = false;
    n.pg.writing = false;
    n.operator_busy = false;
    note(n.id, "host crashes");
    if (chance() < 0.5) upstream_closed(n);  // its processes killed (a powered-off host closes nothing)
    auto after = Time(uniform(1000, 40'000));
    if (now_ + after < options_.final_heal.count()) schedule(make(Ev::restart, after, n.id));
}

// The host boots: pghad starts; a standby's server starts with it, a
// primary's stays down (nothing but pghad or the operator starts it).
void World::restart_host(Node& n) {
    if (n.host_up) return;
    n.host_up = true;
    n.pg.up = n.witness || n.restarts_as_standby;
    n.pg.down_since = now_;
    note(n.id, "host boots{}", n.pg.up && !n.witness ? ", PostgreSQL starts as a standby" : "");
    schedule(make(Ev::daemon_start, Time(uniform(100, 1000)), n.id));
}

void World::crash_postgres(Node& n) {
    if (!n.host_up || !n.pg.up) return;
    ++result_.postgres_crashes;
    n.pg.up = false;
    n.pg.down_since = now_;
    note(n.id, "PostgreSQL crashes ({})", n.pg.in_recovery ? "standby" : "primary");
    postmaster_exited(n, true);
}

void World::final_heal() {
    heal();
    for (int id = 1; id <= n_; ++id) {  // and the operator unpauses every daemon, once all are up
        auto& x = node(id);
        x.persisted.paused = false;
        if (x.host_up && x.daemon && !x.daemon->frozen_until) x.daemon->core.on_pause(false);
    }
    loss_ = 0;
    delay_max_ = 20;
    note(0, "final heal: network whole, every host up");
    for (int id = 1; id <= n_; ++id) restart_host(node(id));
}

// The operator: a server stopped for 20 s is rejoined to the primary (or,
// when no server is primary, started as a standby so that the daemons can
// elect one); a standby whose upstream is not a primary for 20 s is re-pointed.
void World::sweep() {
    auto primary = writable_primary();
    if (!primary) {
        for (int id = 1; id <= n_; ++id) {
            auto& x = node(id);
            if (x.witness || !x.host_up || x.pg.up || x.operator_busy || now_ - x.pg.down_since < 20'000) continue;
            if (x.daemon && x.daemon->core.acting()) continue;
            x.operator_busy = true;
            note(id, "operator: no primary anywhere; starting PostgreSQL as a standby");
            auto job = make(Ev::job, Time(uniform(1000, 3000)), id);
            job.job = Job::operator_start_standby;
            schedule(job);
        }
        return;
    }
    for (int id = 1; id <= n_; ++id) {
        auto& x = node(id);
        if (id == *primary || x.witness || !x.host_up || x.operator_busy) continue;
        if (!x.pg.up) {
            if (now_ - x.pg.down_since < 20'000 || (x.daemon && x.daemon->core.acting())) continue;
            x.operator_busy = true;
            note(id, "operator: pgha node rejoin -d <node {}>", *primary);
            auto job = make(Ev::job, Time(uniform(2000, 6000)), id);
            job.job = Job::operator_rejoin;
            job.peer = *primary;
            schedule(job);
            continue;
        }
        if (!x.pg.in_recovery) continue;
        // Nor is a server re-pointed while its daemon acts on it (an unfence
        // replays its WAL in recovery, with no upstream, for as long as it takes).
        if (x.daemon && x.daemon->core.acting()) continue;
        const auto& upstream = node(x.pg.upstream);
        if (upstream.host_up && upstream.pg.up && !upstream.pg.in_recovery) {
            x.upstream_bad_since.reset();
            continue;
        }
        if (!x.upstream_bad_since) x.upstream_bad_since = now_;
        if (now_ - *x.upstream_bad_since < 20'000) continue;
        x.upstream_bad_since.reset();
        x.operator_busy = true;
        note(id, "operator: pgha standby follow <node {}>", *primary);
        auto job = make(Ev::job, Time(uniform(1000, 3000)), id);
        job.job = Job::operator_follow;
        job.peer = *primary;
        schedule(job);
    }
}

// ---- checks after every event

void World::check_invariants() {
    std::vector<int> holders;
    std::optional<Time> last_lost;
    for (int id = 1; id <= n_; ++id) {
        auto& x = nodes_[id];
        const auto* core = x.daemon ? &x.daemon->core : nullptr;
        const auto* lease = core && core->lease() ? &*core->lease() : nullptr;
        bool holds = core && x.host_up && core->status().role == decision::Role::primary && !core->status().fenced &&
                     lease && !lease->must_fence(local(x));
        if (x.holding && !holds) {
            // It stopped holding either now or when its lease reached the margin.
            Time lost = now_;
            if (lease)
                lost = std::min(now_, x.clock.sim_time(lease->expires_at() - election::lease_margin(lease->granted_for())));
            last_lost = std::max(last_lost.value_or(lost), lost);
        }
        x.holding = holds;
        if (holds) x.daemon->woke_late = false;  // it holds a lease again: no excuse
        if (holds) holders.push_back(id);
    }
    if (holders.size() >= 2) {
        std::string who;
        for (int id : holders) {
            const auto& core = nodes_[id].daemon->core;
            who += fmt::format("{}node {} (term {}, lease until {:.3f} s)", who.empty() ? "" : ", ", id,
                               core.status().term, double(nodes_[id].clock.sim_time(core.lease()->expires_at())) / 1000);
        }
        if (!double_holders_)
            violation(Invariant::one_lease_holder, fmt::format("{} nodes hold a primary lease: {}", holders.size(), who));
    }
    double_holders_ = holders.size() >= 2;

    if (holders.empty()) {
        if (had_holder_ && !gap_since_) gap_since_ = last_lost.value_or(now_);
    } else {
        had_holder_ = true;
        if (gap_since_) result_.gaps_without_primary.push_back(Millis(now_ - *gap_since_));
        gap_since_.reset();
    }
    check_writable_servers();
}

// What clients see: at most one server accepts writes, unless every other
// one cannot be fenced (measured apart).
void World::check_writable_servers() {
    std::string writable_servers;
    std::vector<std::pair<int, bool>> servers;  // writable: (timeline, cannot be fenced); the newest last
    for (int id = 1; id <= n_; ++id) {
        const auto& x = nodes_[id];
        if (x.witness || !x.host_up || !x.pg.up || x.pg.in_recovery) continue;
        // What no lease can stop: a daemon that does not run (frozen, or
        // woken past its lease and still stopping it), or fencing.mode = "off".
        bool cannot_fence = (x.daemon && (x.daemon->frozen_until || x.daemon->woke_late)) ||
                            x.settings.fencing_mode == decision::FencingMode::off;
        servers.emplace_back(x.pg.timeline, cannot_fence);
        writable_servers += fmt::format("{}node {}{}", writable_servers.empty() ? "" : ", ", id,
                                        cannot_fence ? " (cannot fence)" : "");
    }
    std::sort(servers.begin(), servers.end());
    bool two = servers.size() >= 2;
    bool overlap = two && (servers[servers.size() - 2].first == servers.back().first ||
                           std::any_of(servers.begin(), servers.end() - 1, [](const auto& x) { return !x.second; }));
    if (overlap && !overlap_since_) {
        overlap_since_ = now_;
        violation(Invariant::one_writable_server, "PostgreSQL accepts writes on " + writable_servers);
    }
    if (!overlap && overlap_since_) {
        result_.writable_overlap += Millis(now_ - *overlap_since_);
        overlap_since_.reset();
    }
    bool unprotected_overlap = two && !overlap;
    if (unprotected_overlap && !unprotected_since_) {
        unprotected_since_ = now_;
        note(0, "two writable servers, one that cannot be fenced: {}", writable_servers);
    }
    if (!unprotected_overlap && unprotected_since_) {
        result_.unprotected_overlap += Millis(now_ - *unprotected_since_);
        unprotected_since_.reset();
    }
}

RunResult run_simulation(std::uint64_t seed, const Options& options, const Trace* trace) {
    return World(seed, options, trace).run();
}

}  // namespace pgha::sim
