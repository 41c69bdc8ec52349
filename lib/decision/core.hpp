#pragma once
// The decision core of pghad (DESIGN.md sections 6 and 7), the one copy of
// every failover decision: pghad (lib/monitor/daemon.cpp) and the election
// simulation (tests/unit/election_sim_*) are two drivers of it. It does no
// I/O and reads no clock: drivers call its entry points with the time and
// carry out the effects it returns, in order (decision/effects.hpp). The
// voter's record goes through the Store port before any reply that depends on
// it is returned.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "decision/effects.hpp"
#include "decision/inputs.hpp"
#include "decision/switchover_hold.hpp"
#include "election/decide.hpp"
#include "election/lease.hpp"
#include "election/voter.hpp"
#include "protocol/peer_messages.hpp"

namespace pgha::decision {

// Where the voter's term and vote and the pause flag are kept; save() throws
// pgha::Error when it cannot write (the vote is then refused).
using Store = std::function<void(const Durable&)>;

// The first step of a vote request: a refusal that needs no local read, or
// nullopt when the driver must read its own server afresh (on a worker) and
// call on_vote().
using VoteCheck = std::optional<peer::Reply>;

class Core {
public:
    Core(Settings settings, Durable durable, Store store, TimePoint now);

    // ---- the tick: on_tick when the timer fires; on_facts with what the
    // gather_facts job of Effects::gather found (and the generation it carried).
    Effects on_tick(TimePoint now);
    Effects on_facts(const Facts& facts, std::uint64_t generation, TimePoint now);
    // ---- an event seen between rounds: acted on at once, then a fresh round.
    Effects on_detected(Detected what, TimePoint now);

    // ---- requests from peers (the /peer/* routes); the reply and effects.
    std::pair<peer::Reply, Effects> on_heartbeat(const peer::Heartbeat& m, TimePoint now);
    std::pair<peer::Reply, Effects> on_release(const peer::Release& m, TimePoint now);
    // `fresh`: the local server read just now (its WAL position is reported
    // instead of the last round's, so that candidates rank alike).
    peer::State on_state_request(TimePoint now, const std::optional<LocalRead>& fresh = std::nullopt) const;
    VoteCheck check_vote(const peer::VoteRequest& m, TimePoint now) const;
    peer::Reply on_vote(const peer::VoteRequest& m, const LocalRead& fresh, TimePoint now);
    peer::Reply on_pause(bool paused);

    // ---- answers to this node's broadcasts; once every target answered (or
    // failed: nullopt), the core decides on them.
    Effects on_answer(std::uint64_t call_id, int peer_id, const std::optional<Answer>& answer, TimePoint now);
    // ---- a job of Effects::jobs has finished.
    Effects on_job_done(std::uint64_t job_id, const JobResult& result, TimePoint now);

    // ---- the switchover's hold and steps (SwitchoverPeer), and SIGHUP.
    // `postgres_changing`: a step starts or ends, so the last round's view is stale.
    Effects on_switchover(const SwitchoverHold& hold, bool postgres_changing, TimePoint now);
    void on_reload(const Settings& settings);
    // ---- this node's PostgreSQL changed outside the daemon (a switchover
    // promoted it): a fresh round now.
    Effects on_local_change();
    // A switchover step (demote, rejoin, resume) is running on this node's PostgreSQL.
    bool switchover_step_running() const { return switchover_.has_step && switchover_.step_running; }

    const Status& status() const { return status_; }
    const std::optional<election::PrimaryLease>& lease() const { return lease_; }
    // Read-only, for /metrics: this node's voter (its promise to a leader),
    // and whether the primary's daemon released its lease as its postmaster exited.
    const election::Voter& voter() const { return voter_; }
    bool primary_exited() const { return primary_exited_; }
    // A witness votes with no WAL position: check_vote needs no local read.
    bool votes_without_wal() const { return is_witness(); }
    // A job that changes this node's PostgreSQL is running.
    bool acting() const { return action_busy_; }

private:
    struct PendingCall {
        Call call = Call::heartbeat;
        std::vector<int> waiting;
        std::uint64_t round = 0;
        std::int64_t term = 0;
        TimePoint asked_at{};
        std::size_t grants = 1;  // itself
        std::size_t needed = 0;
        std::size_t refusals = 0;
        bool ping_stands_in = false;
        std::vector<Millis> promises;  // granted votes / acknowledgments, its own first
        std::vector<std::pair<int, std::optional<peer::State>>> reports;
        int newest_timeline = 0;  // votes: the newest the voters told
    };
    struct PendingJob {
        Job job;
        std::optional<election::StandbySnapshot> snapshot;  // check_ping for an election
    };

    // core.cpp: helpers and the tick
    std::vector<int> peer_ids() const;
    std::size_t voters() const;
    bool is_witness() const;
    const Member* member(int node_id) const;
    std::optional<std::string> persist(Effects& fx);  // the error, if it could not
    void decided(Effects& fx, std::string sentence);
    void broadcast(Effects& fx, PendingCall call, Outgoing message, TimePoint now);
    std::uint64_t run_job(Effects& fx, Job job, std::optional<election::StandbySnapshot> snapshot = {});
    void action_done();
    void adopt_facts(Effects& fx, const Facts& facts);
    void dispatch_round(Effects& fx, const Facts& facts, TimePoint now);
    void next_tick(Effects& fx, TimePoint now);
    std::optional<std::string> hold_reason(TimePoint now) const;
    std::optional<std::string> owns_postgres(TimePoint now) const;
    void notice_term(Effects& fx, std::int64_t term);
    void wake(Effects& fx);
    void start_round(Effects& fx, TimePoint now);  // gather a monitoring round, the timer kept going
    // An unfence attempt is running (its job keeps the node busy until it ends).
    bool unfencing() const { return unfencing_ && action_busy_ && status_.fenced; }

    // core_primary.cpp
    void primary_round(Effects& fx, TimePoint now);
    void start_lease(TimePoint now, std::int64_t term);
    void heartbeat_round(Effects& fx, std::int64_t term, TimePoint now);
    bool heartbeat_due(TimePoint now) const;
    void heartbeat_answered(Effects& fx, const PendingCall& call, int peer, const peer::Reply& reply, TimePoint now);
    void note_promise(Effects& fx, int peer, Millis promise);
    void release_lease(Effects& fx, TimePoint now, bool postmaster_exited = false);
    void fence(Effects& fx, const std::string& reason, TimePoint now);
    bool quorum_lease_lost(TimePoint now) const;
    bool lease_lost(TimePoint now) const;
    void fence_lost_lease(Effects& fx, TimePoint now);
    bool ping_decides() const;
    bool ping_due(TimePoint now) const;
    bool ping_went_stale(TimePoint now) const;
    void ping_or_fence(Effects& fx, TimePoint now);
    void ping_answered_as_primary(Effects& fx, const JobResult& result, TimePoint now);

    // core_fenced.cpp
    void fenced_round(Effects& fx, TimePoint now);
    void after_fenced_survey(Effects& fx, const PendingCall& call, TimePoint now);
    void try_unfence(Effects& fx, std::int64_t led);
    void ask_for_lease_back(Effects& fx, std::int64_t led, TimePoint now);
    void lease_back_answered(Effects& fx, const PendingCall& call, TimePoint now);
    void unfence_promoted(Effects& fx, const JobResult& result, TimePoint now);
    void unfence_failed(Effects& fx, const std::string& why, TimePoint now);

    // core_standby.cpp
    void standby_round(Effects& fx, TimePoint now);
    election::StandbySnapshot base_snapshot(TimePoint now) const;
    void on_peer_states(Effects& fx, const PendingCall& call, TimePoint now);
    void decide_and_elect(Effects& fx, const election::StandbySnapshot& s, const std::string& ping_detail,
                          TimePoint now);
    void run_election(Effects& fx, bool ping_stands_in, TimePoint now);
    void vote_answered(Effects& fx, PendingCall& call, int peer, const peer::Reply& reply);
    void election_finished(Effects& fx, const PendingCall& call, TimePoint now);

    // core_jobs.cpp
    void all_answered(Effects& fx, const PendingCall& call, TimePoint now);
    void job_finished(Effects& fx, const PendingJob& pending, const JobResult& result, TimePoint now);
    void answer_arrived(Effects& fx, PendingCall& call, int peer, const std::optional<Answer>& answer, TimePoint now);

    Settings settings_;
    Durable durable_;
    Store store_;
    election::Voter voter_;
    std::optional<election::PrimaryLease> lease_;
    Status status_;
    SwitchoverHold switchover_;
    // The last monitoring round's view of the cluster.
    std::vector<Member> members_;
    std::int64_t cluster_term_ = 0;
    int cluster_primary_ = 0;
    bool metadata_read_ = false;
    bool primary_writable_ = false;
    // Loop state.
    bool tick_busy_ = false;
    TimePoint round_started_{};  // when the running (or last) monitoring round was asked for
    bool stale_round_ = false;   // an event came while the round ran: its facts predate it
    bool election_busy_ = false;
    bool action_busy_ = false;
    bool ping_busy_ = false;
    bool was_primary_ = false;
    bool released_ = false;
    bool released_exited_ = false;  // ...saying the postmaster exited after a crash
    bool unfencing_ = false;        // from the start in recovery until promoted or given up
    TimePoint next_unfence_attempt_{};
    std::optional<TimePoint> last_ping_answer_;  // ping mode: when the last answered check of the targets began
    TimePoint ping_started_{};                   // ...and when the running one began
    // Bumped whenever an action that changes the local PostgreSQL finishes:
    // facts gathered while it ran are stale and must not drive a decision.
    std::uint64_t action_generation_ = 0;
    std::optional<TimePoint> lost_since_;
    // The primary's daemon released its lease because its postmaster exited
    // after a crash: no failure threshold to wait for (nothing to reconnect to).
    bool primary_exited_ = false;
    // This node's postmaster exited after a clean shutdown (pg_ctl stop or
    // restart by hand): a planned stop, so the lease is not released but
    // left to run out; a restart within it causes no failover.
    bool stopped_cleanly_ = false;
    std::optional<Millis> next_tick_sooner_;  // a deadline before the next regular tick (failure threshold, lease)
    std::optional<std::int64_t> led_term_;
    std::optional<std::int64_t> promoting_term_;  // won, its promotion job still running
    std::optional<std::int64_t> lease_term_;      // the term the lease's rounds are sent in
    TimePoint last_round_sent_{};
    std::uint64_t round_ = 0;
    struct Won {
        std::int64_t term = 0;
        TimePoint asked_at{};
        Millis promised{0};  // what the quorum that granted it promised
    };
    std::optional<Won> won_;
    std::map<int, Millis> peer_promises_;  // the last promise each peer acknowledged with
    std::map<std::uint64_t, PendingCall> calls_;
    std::map<std::uint64_t, PendingJob> jobs_;
    std::uint64_t next_id_ = 1;
};

}  // namespace pgha::decision
