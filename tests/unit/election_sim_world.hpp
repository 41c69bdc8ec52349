#pragma once
// Internals of the election simulation (election_sim.hpp): the world, its
// nodes and events. election_sim_daemon.cpp models lib/monitor/daemon.cpp,
// election_sim_postgres.cpp the servers and the actions the daemon runs on
// them, election_sim_world.cpp the event loop, network, faults and checks.
#include <fmt/format.h>

#include <array>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "core/lsn.hpp"
#include "election/decide.hpp"
#include "election/lease.hpp"
#include "election/voter.hpp"
#include "election_sim.hpp"

namespace pgha::sim {

using Time = std::int64_t;  // simulated milliseconds since the run began
constexpr int kMaxNodes = 6;  // node ids 1..kMaxNodes; index 0 unused
constexpr Lsn kNoFork = ~Lsn(0);

inline election::TimePoint tp(Time t) { return election::TimePoint{} + Millis(t); }

enum class NodeType : std::uint8_t { primary, standby, witness };
enum class Role : std::uint8_t { unknown, primary, standby, witness };
const char* role_name(Role role);

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

// What a peer answers on /peer/state (peer::State).
struct PeerState {
    Role role = Role::unknown;
    bool sees_primary = false;
    std::optional<Lsn> lsn;
    int priority = 0;
    std::int64_t term = 0;
};

// state_for_fenced, unfence_heartbeat: a fenced node's survey of its peers and
// its attempt to take its lease back (fenced_round, ask_for_lease_back); on the peer's
// side they are /peer/state and /peer/heartbeat like the others.
enum class Call : std::uint8_t { heartbeat, release, state_for_election, state_for_fenced, unfence_heartbeat, vote };

struct Message {
    Call call = Call::heartbeat;
    std::uint32_t call_id = 0;
    int sender = 0;
    // request
    std::int64_t term = 0;
    std::uint64_t round = 0;
    Lsn lsn = 0;
    // reply
    bool granted = false;
    std::int64_t reply_term = 0;
    PeerState state;
};

// A broadcast waiting for its answers (Daemon::Impl::broadcast).
struct PendingCall {
    Call call = Call::heartbeat;
    std::uint32_t id = 0;
    std::vector<int> waiting;  // peers that have neither answered nor timed out
    std::uint64_t round = 0;
    std::int64_t term = 0;
    std::size_t grants = 1;
    std::size_t needed = 0;
    Time asked_at = 0;
    std::vector<std::pair<int, std::optional<PeerState>>> reports;
};

// One round's observations (TickFacts).
struct Facts {
    bool reachable = false;
    bool in_recovery = false;
    std::optional<Lsn> lsn;
    bool metadata_read = false;
    Meta meta;
    std::optional<int> primary;
    bool primary_writable = false;
};

// The state of Daemon::Impl that the protocol depends on.
struct Daemon {
    Daemon(election::VoterRecord record, Millis lease_timeout, Time started)
        : voter(record, lease_timeout, tp(started)) {}
    election::Voter voter;
    std::optional<election::PrimaryLease> lease;
    // status
    bool postgres_up = false;
    Role role = Role::unknown;
    bool writable = false;
    bool fenced = false;
    std::string fence_reason;
    std::optional<Lsn> lsn;
    // facts
    bool metadata_read = false;
    bool have_records = false;
    std::array<NodeMeta, kMaxNodes + 1> records{};
    std::int64_t cluster_term = 0;
    int cluster_primary = 0;
    bool primary_writable = false;
    Facts gathered;
    // loop state
    bool election_busy = false;
    bool action_busy = false;
    bool was_primary = false;
    bool released = false;
    std::optional<Time> lost_since;
    std::optional<std::int64_t> led_term;  // the term this node last led as primary
    std::uint64_t round = 0;
    std::uint64_t action_generation = 0;  // bumped when an action on the local server ends
    std::uint64_t gathered_generation = 0;
    std::optional<std::pair<std::int64_t, Time>> won;  // the term it won, when it asked for votes
    bool unfenced_just_now = false;  // for RunResult::unfences_refenced only
    Time next_unfence_attempt = 0;   // after an attempt to unfence failed
    std::string unfence_failure;     // why the running unfence job failed (before it stops the server)
    std::vector<PendingCall> calls;
    std::uint32_t next_call = 1;
    std::string last_decision;
};

struct Node {
    int id = 0;
    bool witness = false;
    int priority = 100;
    bool host_up = true;
    std::uint32_t incarnation = 0;  // bumped by every host crash
    election::VoterRecord persisted;  // the daemon's state file
    std::optional<Daemon> daemon;
    Postgres pg;
    bool restarts_as_standby = false;  // its server was a standby when the host crashed
    bool operator_busy = false;
    std::optional<Time> upstream_bad_since;  // for the operator
    bool holding = false;                    // held a lease at the last check
    bool unfenced = false;  // its server runs as primary through an unfence (no election's promotion since)
};

enum class Ev : std::uint8_t {
    daemon_start, tick, facts, write, wal, request, reply, timeout, job, fault, restart, sweep, final_heal
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
    std::int64_t term = 0;  // promotion jobs: the term won; unfence jobs: the term it led
    bool flag = false;      // unfence_promote: pg_promote returned true (else it timed out)
    Time started = 0;       // unfence_start: when it began; unfence_promote: when the promotion lands
    Time deadline = 0;      // unfence_promote: the new lease's end less its margin
    Lsn lsn = 0;            // wal: up to where
    int timeline = 0;       // wal
    Meta meta;              // wal: the metadata as of that WAL
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
    void on_reply(const Event& e);
    void on_timeout(const Event& e);
    void fault();
    void partition();
    void crash_host(Node& n);
    void restart_host(Node& n);
    void crash_postgres(Node& n);
    void final_heal();
    void sweep();
    void check_invariants();
    void violation(Invariant invariant, const std::string& what);
    std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi);  // inclusive
    double chance();
    Node& node(int id) { return nodes_[id]; }
    template <typename... Args>
    void note(int id, fmt::format_string<Args...> format, Args&&... args) {
        if (trace_) log_line(id, fmt::format(format, std::forward<Args>(args)...));
    }
    void log_line(int id, const std::string& text);

    // ---- daemon model: election_sim_daemon.cpp
    void start_daemon(Node& n);
    void tick(Node& n);
    void on_facts(Node& n);
    void primary_round(Node& n);
    void fence(Node& n, const std::string& reason);
    void fenced_round(Node& n);
    void after_fenced_survey(Node& n, const PendingCall& call);
    void try_unfence(Node& n, std::int64_t led);
    void ask_for_lease_back(Node& n, std::int64_t led);
    void unfence_failed(Node& n, const std::string& why);
    void unfence_stop(Node& n, const std::string& why, const std::string& detail, Time duration);
    void release_lease(Node& n);
    void standby_round(Node& n);
    election::StandbySnapshot base_snapshot(const Node& n) const;
    void on_peer_states(Node& n, const PendingCall& call);
    void run_election(Node& n);
    Message handle_request(Node& n, const Message& m);
    void on_answer(Node& n, PendingCall& call, int peer, const std::optional<Message>& reply);
    void on_all_answered(Node& n, const PendingCall& call);
    void broadcast(Node& n, PendingCall call, Message request);
    std::vector<int> peers(const Daemon& d, int self) const;
    std::size_t voters(const Daemon& d) const;
    bool is_witness(const Daemon& d, int self) const;
    void persist(Node& n);
    void decided(Node& n, std::string sentence);
    void job_done(Node& n, const Event& e);

    // ---- servers and actions: election_sim_postgres.cpp
    Facts gather(const Node& n, Time& duration);
    void start_writing(Node& n);
    void write(Node& n);
    void on_wal(const Event& e);
    Lsn shared_history(int timeline_a, int timeline_b) const;
    bool can_follow(const Postgres& follower, const Postgres& target) const;
    void follow(Node& follower, Node& target, bool rewind_allowed);
    void run_job(const Event& e);
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
    std::optional<Time> gap_since_;  // no lease holder since
    bool had_holder_ = false;
    bool double_holders_ = false;
    std::optional<Time> overlap_since_;  // two writable servers since
    RunResult result_;
};

}  // namespace pgha::sim
