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
    static constexpr Topology topologies[] = {{3, false}, {3, true}, {2, true}, {4, true}, {5, false}};
    auto topology = topologies[uniform(0, std::size(topologies) - 1)];
    n_ = topology.data + (topology.witness ? 1 : 0);
    static constexpr double losses[] = {0, 0, 0.01, 0.05};
    static constexpr Time delays[] = {5, 20, 100, 300};
    loss_ = losses[uniform(0, 3)];
    delay_max_ = delays[uniform(0, 3)];
    timelines_ = {{}, {0, 0}};

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
        schedule(make(Ev::daemon_start, Time(uniform(0, 3000)), id));
    }
    int priority_zero = 0;
    if (topology.data > 2 && chance() < 0.2) {
        priority_zero = int(uniform(2, topology.data));
        nodes_[priority_zero].priority = 0;
    }
    start_writing(nodes_[1]);

    result_.topology = fmt::format("{} data nodes{}{}, loss {}%, delay <= {} ms", topology.data,
                                   topology.witness ? " + witness" : "",
                                   priority_zero ? fmt::format(" (node {} priority 0)", priority_zero) : "",
                                   loss_ * 100, delay_max_);
    note(0, "{}", result_.topology);
    schedule(make(Ev::fault, options_.chaos_from.count(), 0));
    schedule(make(Ev::final_heal, options_.final_heal.count(), 0));
    schedule(make(Ev::sweep, 10'000, 0));
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
    for (int id = 1; id <= n_; ++id) result_.lease_holders_at_end += nodes_[id].holding ? 1 : 0;
    for (int id = 1; id <= n_; ++id)
        result_.ended_unfenced = result_.ended_unfenced || (result_.recovered() && nodes_[id].holding &&
                                                            nodes_[id].unfenced);
    return result_;
}

void World::dispatch(const Event& e) {
    auto& n = nodes_[e.node];
    bool alive = e.node && n.host_up && n.incarnation == e.incarnation;
    switch (e.kind) {
    case Ev::daemon_start:
        if (alive && !n.daemon) start_daemon(n);
        return;
    case Ev::tick:
        if (alive && n.daemon) tick(n);
        return;
    case Ev::facts:
        if (!alive || !n.daemon) return;
        on_facts(n);
        return schedule(make(Ev::tick, options_.monitor_interval.count(), n.id));
    case Ev::write:
        if (alive) write(n);
        return;
    case Ev::wal: return on_wal(e);
    case Ev::request: return on_request(e);
    case Ev::reply: return on_reply(e);
    case Ev::timeout: return on_timeout(e);
    case Ev::job:
        if (alive && n.daemon) run_job(e);
        return;
    case Ev::fault: return fault();
    case Ev::restart: return restart_host(n);
    case Ev::sweep:
        sweep();
        return schedule(make(Ev::sweep, 10'000, 0));
    case Ev::final_heal: return final_heal();
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
    auto answer = handle_request(server, e.msg);
    auto delay = transit(e.peer, e.node);
    if (!delay) return;
    auto reply = make(Ev::reply, *delay, e.peer);
    reply.incarnation = e.client_incarnation;
    reply.peer = e.node;
    reply.msg = answer;
    schedule(reply);
}

void World::on_reply(const Event& e) {
    auto& client = node(e.node);
    if (!client.host_up || client.incarnation != e.incarnation || !client.daemon || cut_[e.node][e.peer]) return;
    auto& calls = client.daemon->calls;
    auto call = std::find_if(calls.begin(), calls.end(), [&](const auto& c) { return c.id == e.msg.call_id; });
    if (call == calls.end()) return;
    auto waiting = std::find(call->waiting.begin(), call->waiting.end(), e.peer);
    if (waiting == call->waiting.end()) return;  // it timed out already
    call->waiting.erase(waiting);
    std::size_t index = std::size_t(call - calls.begin());
    on_answer(client, calls[index], e.peer, e.msg);
    if (calls[index].waiting.empty()) {
        auto done = std::move(calls[index]);
        calls.erase(calls.begin() + std::ptrdiff_t(index));
        on_all_answered(client, done);
    }
}

void World::on_timeout(const Event& e) {
    auto& client = node(e.node);
    if (!client.host_up || client.incarnation != e.incarnation || !client.daemon) return;
    auto& calls = client.daemon->calls;
    auto call = std::find_if(calls.begin(), calls.end(), [&](const auto& c) { return c.id == e.msg.call_id; });
    if (call == calls.end()) return;
    auto waiting = std::find(call->waiting.begin(), call->waiting.end(), e.peer);
    if (waiting == call->waiting.end()) return;
    call->waiting.erase(waiting);
    std::size_t index = std::size_t(call - calls.begin());
    on_answer(client, calls[index], e.peer, std::nullopt);
    if (calls[index].waiting.empty()) {
        auto done = std::move(calls[index]);
        calls.erase(calls.begin() + std::ptrdiff_t(index));
        on_all_answered(client, done);
    }
}

// ---- faults

void World::fault() {
    double r = chance();
    if (r < 0.30) partition();
    else if (r < 0.50) {
        cut_ = {};
        note(0, "network healed");
    } else if (r < 0.62) {
        auto primary = writable_primary();
        crash_host(node(primary && chance() < 0.5 ? *primary : int(uniform(1, n_))));
    } else if (r < 0.74) {
        if (auto primary = writable_primary()) crash_postgres(node(*primary));
    } else if (r < 0.80) {
        int id = int(uniform(1, n_));
        if (!node(id).witness) crash_postgres(node(id));
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

void World::partition() {
    cut_ = {};
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
}

void World::final_heal() {
    cut_ = {};
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
            if (x.daemon && x.daemon->action_busy) continue;
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
            if (now_ - x.pg.down_since < 20'000 || (x.daemon && x.daemon->action_busy)) continue;
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
        if (x.daemon && x.daemon->action_busy) continue;
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
    std::string writable_servers;
    int writable = 0;
    for (int id = 1; id <= n_; ++id) {
        auto& x = nodes_[id];
        const auto* d = x.daemon ? &*x.daemon : nullptr;
        bool holds = d && x.host_up && d->role == Role::primary && !d->fenced && d->lease &&
                     !d->lease->must_fence(tp(now_));
        if (x.holding && !holds) {
            // It stopped holding either now or when its lease reached the margin.
            Time lost = now_;
            if (d && d->lease) {
                auto margin = std::max(Millis(200), options_.lease_timeout / 5);
                lost = std::min(now_, Time((d->lease->expires_at() - tp(0) - margin) / Millis(1)));
            }
            last_lost = std::max(last_lost.value_or(lost), lost);
        }
        x.holding = holds;
        if (holds) holders.push_back(id);
        if (!x.witness && x.host_up && x.pg.up && !x.pg.in_recovery) {
            ++writable;
            writable_servers += fmt::format("{}node {}", writable_servers.empty() ? "" : ", ", id);
        }
    }
    if (holders.size() >= 2) {
        std::string who;
        for (int id : holders) {
            const auto& d = *nodes_[id].daemon;
            who += fmt::format("{}node {} (term {}, lease until {:.3f} s)", who.empty() ? "" : ", ", id,
                               d.cluster_term, double((d.lease->expires_at() - tp(0)) / Millis(1)) / 1000);
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
    if (writable >= 2 && !overlap_since_) {
        overlap_since_ = now_;
        violation(Invariant::one_writable_server, "PostgreSQL accepts writes on " + writable_servers);
    }
    if (writable < 2 && overlap_since_) {
        result_.writable_overlap += Millis(now_ - *overlap_since_);
        overlap_since_.reset();
    }
}

RunResult run_simulation(std::uint64_t seed, const Options& options, const Trace* trace) {
    return World(seed, options, trace).run();
}

}  // namespace pgha::sim
