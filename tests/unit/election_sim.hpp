#pragma once
// A deterministic discrete-event simulation of the failover protocol that
// pghad runs (lib/monitor/daemon.cpp) on top of the pure election code
// (lib/election): several nodes, each a daemon with its Voter and, while it is
// primary, its PrimaryLease, and a PostgreSQL server whose WAL and pgha
// metadata replicate to its standbys; a network with partitions (possibly
// one-way), loss and delays; crashes of hosts and of PostgreSQL alone. No real
// time and no threads: one priority queue of timestamped events, one seeded
// std::mt19937_64, so a seed replays exactly.
//
// Each seed draws a topology (2 to 5 data nodes, a witness or not, maybe a
// priority-0 standby) and network quality, then injects faults from
// chaos_from to final_heal: partitions (one node alone, two sides, one side
// unable to connect to the other, random one-way cuts), heals, host crashes
// (pghad and PostgreSQL; the host boots again later), PostgreSQL crashes on
// the primary (the lease release path) and on standbys, loss and delay
// changes. A simulated operator runs `pgha node rejoin` / `standby follow`
// for servers left stopped or stranded for 20 s, and starts stopped servers
// as standbys when no primary is left, as nothing else restarts them.
//
// Modelled as the code does it, where that matters: each daemon's voters and
// peers are the active records of its own (replicated) metadata; a promotion
// deactivates the other primary records; the witness keeps the metadata copy
// it got at registration; a daemon votes with the LSN and server state of its
// last monitoring round, whose local facts are read before a primary probe
// that can take the whole connect timeout. A fenced primary asks its peers
// every round: it rejoins a writable primary among them (auto_rejoin), stays
// stopped while a term newer than the one it led exists, and otherwise, when a
// quorum answered the survey, unfences in two steps (lib/monitor/unfence.cpp):
// its server starts in recovery (standby.signal, not streaming) and replays
// its own WAL however long that takes, then a heartbeat round in the term it
// led; acknowledged by a quorum, the server is promoted (a new timeline) within
// the lease that round began, or stopped again at once when the promotion ends
// after that lease's margin; a failed round stops it again too. A fenced node
// holds no lease. Not modelled: clock skew, pghad dying alone, a primary's
// server started again by anything but pghad, a standby.signal start that
// streams from a stale primary_conninfo.
//
// The run only records what it saw; the test decides what is a failure.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pgha::sim {

using Millis = std::chrono::milliseconds;

struct Options {
    Millis duration{180'000};      // simulated time per run
    Millis chaos_from{15'000};     // faults start here...
    Millis final_heal{120'000};    // ...and end here: links heal, hosts restart
    Millis mean_fault_interval{6'000};
    // How long an unfence's start in recovery takes at most (crash recovery
    // after the immediate stop, replayed as a standby); from 1 s.
    Millis unfence_start_max{5'000};
    // How long an unfence's pg_promote takes at most (like an election's); from 100 ms.
    Millis unfence_promote_max{1'000};
    // The daemon's settings ([failover] and [fencing] defaults of the config).
    Millis monitor_interval{1000};
    int reconnect_attempts = 3;
    Millis reconnect_interval{1000};
    Millis lease_timeout{10'000};  // where a run does not draw it per node
    double clock_drift = 0.01;      // each steady clock runs within 1 +- this of real time
    std::uint64_t maximum_lag_on_failover = 16ULL << 20;
    bool auto_rejoin = true;
};

// What must hold at every simulated instant.
enum class Invariant {
    one_lease_holder,     // at most one node considers itself primary with a lease short of must_fence
    one_leader_per_term,  // a term has at most one primary
    voters_not_ahead,     // a promoted node had at least the WAL of every running voter that granted it
    one_writable_server,  // at most one PostgreSQL server accepts writes (what clients see)
};
constexpr int kInvariants = 4;
const char* describe(Invariant invariant);

struct Violation {
    Invariant invariant;
    std::string what;  // "[  42.123 s] 2 nodes hold a primary lease: ..."
};

struct RunResult {
    std::uint64_t seed = 0;
    std::string topology;  // "3 data nodes + witness, loss 1%, delay <= 300 ms"
    // Two data nodes in fencing.mode = "ping": whose violations README
    // explains (a peer whose answers are lost or late looks cut off).
    bool ping_mode = false;
    std::vector<Violation> violations;  // the first few
    Millis writable_overlap{0};  // in all, the time two servers accepted writes
    int lease_holders_at_end = 0;
    bool recovered() const { return lease_holders_at_end == 1; }
    // Each stretch without any lease holder that ended, from the moment the
    // last holder stopped holding until a new one held.
    std::vector<Millis> gaps_without_primary;
    int elections = 0;   // candidacies started
    int promotions = 0;  // pg_promote done after a won election
    int fences = 0;
    int unfence_starts = 0;  // servers of fenced nodes started in recovery to unfence (step 1)
    int unfence_starts_lost = 0;  // ...whose server went down before it replayed (polled until the replay timeout)
    int unfence_rounds = 0;  // heartbeat rounds a fenced node sent to take its lease back (step 2)
    int unfences = 0;        // promoted within the new lease by a fenced node (fencing_lifted)
    int unfences_late = 0;   // promotions that ended after the new lease's margin (stopped again)
    bool ended_unfenced = false;  // the one lease holder at the end runs as primary through an unfence
    // In all, the time two servers accepted writes while one of them could not
    // be fenced: its daemon frozen (or woken past its lease, still stopping
    // it), or fencing.mode = "off". No lease protects against that.
    Millis unprotected_overlap{0};
    int freezes = 0;  // daemons SIGSTOPped for up to twice their lease while PostgreSQL ran on
    int reloads = 0;  // SIGHUPs that changed a lease_timeout
    int pauses = 0;   // pgha daemon pause / unpause
    int holds = 0;    // switchover holds
    int releases = 0;
    int host_crashes = 0;
    int postgres_crashes = 0;
    int partitions = 0;
    std::uint64_t events = 0;
};

// Receives one line per simulated event or decision when given.
using Trace = std::function<void(const std::string&)>;

RunResult run_simulation(std::uint64_t seed, const Options& options, const Trace* trace = nullptr);

}  // namespace pgha::sim
