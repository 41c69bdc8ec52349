#pragma once
// Internals of the election simulation (election_sim.hpp): the world, its
// nodes and events. election_sim_daemon.cpp is a driver of the decision core
// (lib/decision) as lib/monitor/daemon.cpp is; election_sim_postgres.cpp the
// servers and what the core's jobs do to them; election_sim_world.cpp the
// event loop, network, faults and checks.
#include <fmt/format.h>

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "core/lsn.hpp"
#include "decision/core.hpp"
#include "election_sim.hpp"

namespace pgha::sim {

using Time = std::int64_t;  // simulated milliseconds since the run began
constexpr int kMaxNodes = 6;  // node ids 1..kMaxNodes; index 0 unused
constexpr Lsn kNoFork = ~Lsn(0);

enum class NodeType : std::uint8_t { primary, standby, witness };

struct NodeMeta {
    NodeType type = NodeType::standby;
    bool active = false;
};

// pgha's metadata as one server holds it (pgha.nodes and pgha.cluster_state);
// it travels with the WAL to the standbys.
struct Meta {
    std::int64_t term = 1;
    int primary_id = 1;  // cluster_state.primary_node_id
    std::array<NodeMeta, kMaxNodes + 1> nodes{};
    std::optional<int> active_primary() const;  // catalog::find_active_primary
};

struct Postgres {
    bool up = false;
    bool in_recovery = false;
    Lsn lsn = 0;        // primary: WAL written; standby: WAL received
    int timeline = 1;   // unique per promotion in the simulation
    int upstream = 0;   // the node a standby streams from
    Meta meta;
    Time down_since = 0;
    bool writing = false;  // a write event is scheduled
};

// One message of the peer protocol: a request of a broadcast, or its answer.
struct Message {
    decision::Call call = decision::Call::heartbeat;
    std::uint64_t call_id = 0;
    int sender = 0;
    decision::Outgoing request;
    std::optional<decision::Answer> answer;
};

enum class Ev : std::uint8_t {
    daemon_start, tick, facts, write, wal, request, vote_read, reply, timeout, job, job_done, thaw, fault, restart,
    sweep, final_heal, detected
};
// The unfence (lib/monitor/unfence.cpp) in steps: unfence_start (start_in_recovery
// returns), unfence_promote (pg_promote returns, or times out), unfence_promoted
// (a timed-out promotion lands before the stop), unfence_checkpoint
// (promote_unfenced returns), unfence_stop (stop_now or stop_after_failed_unfence).
enum class Job : std::uint8_t {
    fence, promote, checkpoint, siblings_follow, rejoin, unfence_start, unfence_promote, unfence_promoted,
    unfence_checkpoint, unfence_stop, operator_rejoin, operator_follow, operator_start_standby
};

struct Event {
    Time at = 0;
    std::uint64_t seq = 0;
    Ev kind = Ev::tick;
    int node = 0;                   // whom it happens to (0: the world)
    int peer = 0;                   // the other end of a message; a job's target
    std::uint32_t incarnation = 0;  // of `node` when scheduled: a crash voids it
    Message msg;                    // request, reply; timeout: its call_id
    std::uint32_t client_incarnation = 0;  // request: of the sender, to address the reply
    Job job = Job::fence;
    decision::Job core_job;        // job, job_done: what the core asked for
    decision::JobResult result;    // job_done
    std::uint64_t timer = 0;       // tick: the number it was armed with
    decision::Facts facts;         // facts: the monitoring round
    std::uint64_t generation = 0;  // facts
    bool flag = false;      // unfence_promote: pg_promote returned true (else it timed out)
    decision::Detected detected = decision::Detected::upstream_lost;  // detected: what the daemon saw
    Time started = 0;       // unfence_promote: when the promotion lands
    Lsn lsn = 0;            // wal: up to where
    int timeline = 0;       // wal
    Meta meta;              // wal: the metadata as of that WAL
};

// A node's steady clock: it runs at `rate` (within 1 +- kMaxClockDrift) from
// its own origin. The core only ever sees local times.
struct Clock {
    double rate = 1;
    Time origin = 0;
    election::TimePoint local(Time t) const {
        return election::TimePoint{} + Millis(origin + Time(double(t) * rate));
    }
    Time sim_delay(Millis local_delay) const { return Time(double(local_delay.count()) / rate + 0.999); }
    Time sim_time(election::TimePoint local_time) const {
        return Time(double((local_time - election::TimePoint{}).count() / 1'000'000 - origin) / rate);
    }
};

// pghad's driver state around its decision core.
struct Daemon {
    Daemon(decision::Settings settings, decision::Durable durable, decision::Store store,
           election::TimePoint now)
        : core(settings, durable, std::move(store), now) {}
    decision::Core core;
    std::uint64_t timer = 0;          // the armed tick's number: an older tick is void
    std::optional<Time> frozen_until;  // SIGSTOPped: what arrives waits in `deferred`
    std::vector<Event> deferred;
    bool reload_pending = false;  // SIGHUP while frozen
    bool woke_late = false;  // thawed with its lease run out: fencing, its server still up
};

struct Node {
    int id = 0;
    bool witness = false;
    int priority = 100;
    bool host_up = true;
    std::uint32_t incarnation = 0;  // bumped by every host crash
    decision::Durable persisted;  // the daemon's state file
    std::unique_ptr<Daemon> daemon;
    Clock clock;
    decision::Settings settings;  // its pgha.toml as pghad last (re)loaded it
    bool ping_ok = true;          // fencing.mode = "ping": a ping target answers it
    Postgres pg;
    bool restarts_as_standby = false;  // its server was a standby when the host crashed
    bool operator_busy = false;
    std::optional<Time> upstream_bad_since;  // for the operator
    bool holding = false;                    // held a lease at the last check
    bool unfenced = false;  // its server runs as primary through an unfence (no election's promotion since)
};

struct Later {  // orders the queue: earliest first, then in scheduling order
    bool operator()(const Event& a, const Event& b) const { return a.at != b.at ? a.at > b.at : a.seq > b.seq; }
};

struct Grant {  // a vote as the voter gave it, for invariant 2
    int voter = 0;
    std::optional<Lsn> voter_lsn;  // what its server really had (none: witness or server down)
    std::optional<Lsn> voted_with;  // what its daemon told the Voter (its last monitoring round)
    Lsn candidate_lsn = 0;         // what the candidate's server really had at that instant
};

class World {
public:
    World(std::uint64_t seed, const Options& options, const Trace* trace);
    RunResult run();

private:
    // ---- world: election_sim_world.cpp
    void setup();
    void schedule(Event event);
    Event make(Ev kind, Time delay, int node);
    void dispatch(const Event& e);
    // One message over a connection from `client` to `server` (either way):
    // its delay, or nullopt when the connection is cut or the message lost.
    std::optional<Time> transit(int client, int server);
    void send_request(Node& from, int to, const Message& m);
    void on_request(const Event& e);
    void send_reply(const Event& request, decision::Answer answer);
    void on_reply(const Event& e);
    void on_timeout(const Event& e);
    decision::Settings node_settings(int id, Millis lease_timeout) const;
    Clock random_clock();
    void fault();
    void partition();
    void heal();
    void crash_host(Node& n);
    void restart_host(Node& n);
    void crash_postgres(Node& n);
    void final_heal();
    void sweep();
    void check_invariants();
    void check_writable_servers();
    void violation(Invariant invariant, const std::string& what);
    std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi);  // inclusive
    double chance();
    Node& node(int id) { return nodes_[id]; }
    template <typename... Args>
    void note(int id, fmt::format_string<Args...> format, Args&&... args) {
        if (trace_) log_line(id, fmt::format(format, std::forward<Args>(args)...));
    }
    void log_line(int id, const std::string& text);

    // ---- the driver of the decision core: election_sim_daemon.cpp
    void start_daemon(Node& n);
    void carry(Node& n, decision::Effects fx);
    void arm_timer(Node& n, Millis delay);
    void send_broadcast(Node& n, const decision::Broadcast& b);
    std::optional<decision::Answer> handle_request(Node& n, const Event& e);
    void on_vote_read(const Event& e);
    void start_job(Node& n, const decision::Job& job);
    void finish_job(Node& n, const decision::Job& job, decision::JobResult result = {});
    bool waits_while_frozen(const Event& e) const;
    void freeze(Node& n);
    void thaw(Node& n);
    void reload(Node& n, Millis lease_timeout);
    void pause_all(bool paused);
    void hold_all(Time duration);
    election::TimePoint local(const Node& n) const { return n.clock.local(now_); }

    // ---- servers and jobs: election_sim_postgres.cpp
    decision::Facts gather(const Node& n, Time& duration);
    void start_writing(Node& n);
    void write(Node& n);
    void on_wal(const Event& e);
    Lsn shared_history(int timeline_a, int timeline_b) const;
    bool can_follow(const Postgres& follower, const Postgres& target) const;
    void follow(Node& follower, Node& target, bool rewind_allowed);
    void run_job(const Event& e);
    void run_unfence_job(Node& n, const Event& e);
    void start_unfence_promotion(Node& n, const decision::Job& job);
    void schedule_job(Node& n, Job step, Time delay, const decision::Job& job);
    void stop_postgres(Node& n, const char* why, bool immediate);
    void postmaster_exited(Node& n, bool crashed);
    void upstream_closed(const Node& primary);
    void promote(Node& n, std::int64_t term);
    void record_promotion(Node& n, std::int64_t elected_term);
    void siblings_follow(Node& n);
    bool rejoin(Node& n, int target_id);
    void start_in_recovery(Node& n);
    void promote_unfenced(Node& n);
    std::optional<int> writable_primary() const;  // as an operator would pick it

    std::uint64_t seed_;
    Options options_;
    const Trace* trace_;
    std::mt19937_64 rng_;
    std::priority_queue<Event, std::vector<Event>, Later> queue_;
    std::uint64_t seq_ = 0;
    Time now_ = 0;
    int n_ = 0;  // nodes 1..n_
    std::array<Node, kMaxNodes + 1> nodes_{};
    std::array<std::array<bool, kMaxNodes + 1>, kMaxNodes + 1> cut_{};  // cut_[from][to]
    double loss_ = 0;
    Time delay_max_ = 5;
    struct TimelineInfo { int parent = 0; Lsn fork = 0; };
    std::vector<TimelineInfo> timelines_;  // index = timeline id; 1 is the first
    std::map<std::int64_t, int> leaders_;  // term -> the node that led it
    std::map<std::int64_t, int> second_leaders_;  // reported once
    std::map<std::pair<std::int64_t, int>, std::vector<Grant>> grants_;  // (term, candidate)
    bool ping_topology_ = false;  // two data nodes, fencing.mode = "ping"
    std::array<bool, kMaxNodes + 1> cut_from_targets_{};
    Time whole_since_ = 0;  // no cut since (-1: a cut now)  // ping topology: this node cannot reach a ping target
    bool fencing_off_ = false;    // fencing.mode = "off" on every node
    std::optional<Time> unprotected_since_;  // two writable servers, one that nothing can fence
    std::optional<Time> gap_since_;  // no lease holder since
    bool had_holder_ = false;
    bool double_holders_ = false;
    std::optional<Time> overlap_since_;  // two writable servers since
    RunResult result_;
};

}  // namespace pgha::sim
