// The daemon loop: timers, HTTP routes and the per-tick decisions. Decisions
// themselves are pure (election/*); this file gathers, decides and acts.
#include "http/asio_compat.hpp"

#include "monitor/daemon.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <tuple>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/error.hpp"
#include "core/log.hpp"
#include "election/decide.hpp"
#include "election/lease.hpp"
#include "election/voter.hpp"
#include "hooks/notify.hpp"
#include "http/auth.hpp"
#include "http/client.hpp"
#include "http/health.hpp"
#include "http/listen_address.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "monitor/daemon_actions.hpp"
#include "monitor/facts.hpp"
#include "protocol/peer_messages.hpp"
#include "monitor/ping_targets.hpp"
#include "monitor/state_store.hpp"
#include "protocol/daemon_status.hpp"
#include "monitor/unfence.hpp"
#include "monitor/switchover_peer.hpp"
#include "monitor/workers.hpp"
#include "probe/probe.hpp"

namespace pgha {
namespace asio = boost::asio;
using election::TimePoint;
using SteadyClock = std::chrono::steady_clock;

namespace {

Millis lease_margin(Millis lease_timeout) { return std::max(Millis(200), lease_timeout / 5); }

}  // namespace

struct Daemon::Impl {
    asio::io_context& io;
    Config config;
    std::string secret;
    StateStore store;
    DurableState durable;
    election::Voter voter;
    std::optional<election::PrimaryLease> lease;
    Router router;
    std::unique_ptr<HttpServer> server;
    asio::steady_timer timer;
    WitnessSync witness_sync;  // before workers: it must outlive the monitoring rounds that use it
    Workers workers;
    DaemonStatus status;
    TickFacts facts;
    bool tick_busy = false;
    bool election_busy = false;
    bool action_busy = false;
    bool was_primary = false;
    bool released = false;
    bool stopping = false;
    bool ping_busy = false;  // fencing.mode = "ping": a check of the ping targets is running
    TimePoint next_unfence_attempt{};  // an attempt to unfence failed: not again before this
    // Bumped whenever an action that changes the local PostgreSQL finishes:
    // facts gathered while it ran are stale and must not drive a decision.
    std::uint64_t action_generation = 0;
    std::optional<TimePoint> lost_since;
    std::optional<Millis> next_tick_sooner;  // a deadline before the next regular tick (failure threshold, lease)
    std::optional<TimePoint> last_primary_contact;
    std::optional<TimePoint> last_history_sample;
    std::optional<std::int64_t> led_term;  // the term this node last led as primary
    std::uint64_t round = 0;
    std::optional<std::pair<std::int64_t, TimePoint>> won;  // the term this node won, when it asked for votes
    SwitchoverPeer switchover;  // pgha standby switchover: hold and old-primary steps

    Impl(asio::io_context& io_, Config config_, std::string secret_)
        : io(io_), config(std::move(config_)), secret(std::move(secret_)), store(config.daemon.state_dir),
          durable(store.load()), voter(durable.voter, config.failover.lease_timeout, SteadyClock::now()),
          router(secret), timer(io_), workers(io_), switchover(workers, config, switchover_hooks()) {
        status.node_id = config.node_id;
        status.node_name = config.node_name;
        status.paused = durable.paused;
        status.term = durable.voter.term;
        add_routes();
        server = std::make_unique<HttpServer>(io, config.daemon.listen, router);
    }

    // ---- helpers
    Millis peer_timeout() const {
        return std::clamp(config.failover.monitor_interval, Millis(300), Millis(2000));
    }
    // Every registered node votes, active or not: a failover deactivates the
    // old primary, and a voter set that shrank with it would let two smaller
    // quorums that do not overlap each elect a primary. Unregister a node that
    // is gone for good.
    std::vector<NodeRecord> peers() const {
        std::vector<NodeRecord> out;
        for (const auto& r : facts.records)
            if (r.node_id != config.node_id && !r.daemon_listen.empty()) out.push_back(r);
        return out;
    }
    std::size_t voters() const { return std::max<std::size_t>(facts.records.size(), 1); }
    bool is_witness() const {
        for (const auto& r : facts.records)
            if (r.node_id == config.node_id) return r.type == "witness";
        return false;
    }
    void persist_voter() {
        durable.voter = voter.record();
        store.save(durable);
        status.term = durable.voter.term;
    }
    void decided(std::string sentence) {
        if (sentence != status.last_decision) log::info("{}", sentence);
        status.last_decision = std::move(sentence);
    }

    using ReplyHandler = std::function<void(std::optional<HttpResponse>)>;
    void send(const NodeRecord& peer, const std::string& path, const std::string& body, ReplyHandler handler) {
        auto address = parse_listen_address(peer.daemon_listen);
        if (!address) return handler(std::nullopt);
        auto request = signed_request("POST", path, body, secret, std::chrono::system_clock::now());
        http_request(io, address->host, address->port, std::move(request), peer_timeout(),
                     [handler](std::optional<HttpResponse> response, std::string) { handler(std::move(response)); });
    }
    // Sends to every peer; `each` per answer, then `all_done` once.
    void broadcast(const std::string& path, const std::string& body,
                   std::function<void(const NodeRecord&, std::optional<HttpResponse>)> each,
                   std::function<void()> all_done) {
        auto targets = peers();
        if (targets.empty()) return all_done();
        auto left = std::make_shared<std::size_t>(targets.size());
        for (const auto& peer : targets)
            send(peer, path, body, [peer, each, all_done, left](std::optional<HttpResponse> response) {
                each(peer, response && response->status == 200 ? response : std::nullopt);
                if (--*left == 0) all_done();
            });
    }

    // What every peer sees (/peer/state); nullopt for one that did not answer.
    using PeerReports = std::vector<std::pair<NodeRecord, std::optional<peer::State>>>;
    void ask_peer_states(std::function<void(const PeerReports&)> done) {
        auto reports = std::make_shared<PeerReports>();
        broadcast("/peer/state", "{}",
                  [reports](const NodeRecord& peer, std::optional<HttpResponse> response) {
                      std::optional<peer::State> state;
                      if (response) {
                          try {
                              state = peer::decode_state(response->body);
                          } catch (const std::exception&) {
                          }
                      }
                      reports->emplace_back(peer, state);
                  },
                  [reports, done = std::move(done)] { done(*reports); });
    }

    // ---- routes
    void add_routes() {
        add_health_routes(router, [this] { return current_status(); });
        router.add("POST", "/peer/heartbeat", [this](const HttpRequest& r) { return on_heartbeat(r); }, Access::peer);
        router.add("POST", "/peer/release", [this](const HttpRequest& r) { return on_release(r); }, Access::peer);
        router.add("POST", "/peer/state", [this](const HttpRequest&) { return json(peer::encode(own_state())); },
                   Access::peer);
        router.add("POST", "/peer/vote", [this](const HttpRequest& r) { return on_vote(r); }, Access::peer);
        router.add("POST", "/peer/pause", [this](const HttpRequest& r) { return on_pause(r); }, Access::peer);
        switchover.add_routes(router);
    }
    SwitchoverPeer::Hooks switchover_hooks() {
        return {[this] { return current_status(); },
                [this](int node_id) -> std::optional<NodeRecord> {
                    for (const auto& r : facts.records)
                        if (r.node_id == node_id) return r;
                    return std::nullopt;
                },
                [this] {  // a switchover step starts or ends: look again now
                    status.writable = false;
                    tick();
                }};
    }
    static HttpResponse json(std::string body) { return {200, "application/json", std::move(body)}; }

    DaemonStatus current_status() {
        status.hook_failures = hook_failure_count();
        if (last_primary_contact)
            status.last_primary_contact_ms =
                std::chrono::duration_cast<Millis>(SteadyClock::now() - *last_primary_contact).count();
        return status;
    }

    peer::State own_state() const {
        return {config.node_id, status.role,
                (status.writable && !status.fenced) || facts.primary_writable,
                status.lsn, config.priority, voter.record().term,
                durable.paused || switchover.hold_reason(SteadyClock::now()).has_value()};
    }

    HttpResponse on_heartbeat(const HttpRequest& request) {
        auto m = peer::decode_heartbeat(request.body);
        auto now = SteadyClock::now();
        auto before = voter.record().term;
        auto reply = voter.on_heartbeat(m.term, m.leader_id, now);
        if (reply.granted) last_primary_contact = now;
        if (voter.record().term != before) persist_voter();
        // A running primary that hears of a newer term is a returning old primary.
        if (status.writable && m.leader_id != config.node_id && m.term > before)
            fence(fmt::format("node {} is primary in the newer term {}", m.leader_id, m.term));
        return json(peer::encode(peer::Reply{reply.granted, reply.term, config.node_id, reply.reason}));
    }

    HttpResponse on_release(const HttpRequest& request) {
        auto m = peer::decode_release(request.body);
        voter.on_release(m.term, m.leader_id);
        log::info("node {} released its lease of term {}", m.leader_id, m.term);
        // Its own daemon saw the primary's PostgreSQL stop: the failure threshold runs from now.
        if (status.role == "standby" && !lost_since) lost_since = SteadyClock::now();
        asio::post(io, [this] { tick_now(); });
        return json(peer::encode(peer::Reply{true, voter.record().term, config.node_id, "released"}));
    }

    HttpResponse on_vote(const HttpRequest& request) {
        auto m = peer::decode_vote_request(request.body);
        auto refuse = [&](std::string reason) {
            return json(peer::encode(peer::Reply{false, voter.record().term, config.node_id, std::move(reason)}));
        };
        if (switchover.hold_reason(SteadyClock::now())) return refuse("a switchover holds automatic failover");
        if (facts.primary_writable && status.role == "standby") return refuse("I still see the primary");
        // The local server is read afresh: WAL received since the last tick
        // must count, or a candidate behind it could win. Bounded by the
        // connect timeout; vote requests come only during an election.
        std::optional<Lsn> own_lsn;
        if (!is_witness()) {
            auto local = observe(config.conninfo, std::chrono::seconds(2));
            if (local.reachable && !local.in_recovery && !status.fenced) return refuse("I am a running primary");
            if (local.reachable && !local.lsn) return refuse("cannot read my own WAL position");
            if (!local.reachable && status.postgres_up)
                return refuse("my PostgreSQL does not answer now: " + local.error);
            own_lsn = local.reachable ? local.lsn : std::nullopt;
        }
        auto reply = voter.on_vote_request({m.term, m.candidate_id, m.candidate_lsn}, own_lsn, SteadyClock::now());
        if (reply.granted) {
            try {
                persist_voter();  // on disk before the reply announces it
            } catch (const Error& error) {
                return refuse(std::string("cannot persist the vote: ") + error.what());
            }
            log::info("voted for node {} in term {}", m.candidate_id, m.term);
        }
        return json(peer::encode(peer::Reply{reply.granted, reply.term, config.node_id, reply.reason}));
    }

    HttpResponse on_pause(const HttpRequest& request) {
        auto m = peer::decode_pause(request.body);
        durable.paused = m.paused;
        store.save(durable);
        status.paused = m.paused;
        log::info("automatic failover {}", m.paused ? "paused" : "resumed");
        return json(peer::encode(peer::Reply{true, voter.record().term, config.node_id, m.paused ? "paused" : "unpaused"}));
    }

    // ---- the tick
    void schedule_tick() {
        if (stopping) return;
        auto delay = config.failover.monitor_interval;
        if (next_tick_sooner) delay = std::clamp(*next_tick_sooner, Millis(10), delay);
        next_tick_sooner.reset();
        timer.expires_after(delay);
        timer.async_wait([this](const boost::system::error_code& error) {
            if (!error) tick();
        });
    }

    // A tick now rather than at the next interval (a released lease).
    void tick_now() {
        if (tick_busy || stopping) return;  // the running tick decides with fresh facts anyway
        timer.cancel();
        tick();
    }

    void tick() {
        if (tick_busy) return schedule_tick();
        if (lease_ran_out_unscheduled()) return schedule_tick();
        tick_busy = true;
        auto gathered = std::make_shared<TickFacts>();
        auto timeout = std::chrono::seconds(std::max<long>(1, config.failover.reconnect_interval.count() / 1000 + 1));
        auto generation = action_generation;
        auto now = SteadyClock::now();
        bool sample = config.daemon.history_interval.count() > 0 && status.writable &&
                      (!last_history_sample || now - *last_history_sample >= config.daemon.history_interval);
        if (sample) last_history_sample = now;
        workers.run([config = config, gathered, timeout, sample, known = facts.records, &witness_sync = witness_sync] {
                        *gathered = gather_facts(config, timeout, sample, witness_sync);
                        flush_pending_events(config, gathered->records.empty() ? known : gathered->records, timeout);
                    },
                    [this, gathered, generation] {
                        tick_busy = false;
                        if (generation == action_generation && !action_busy) on_facts(std::move(*gathered));
                        schedule_tick();
                    });
    }

    // A primary whose lease ran out while its daemon was not scheduled (frozen,
    // starved, a paused VM) fences before gathering facts: its PostgreSQL,
    // resumed at the same moment, may already be taking writes.
    bool lease_ran_out_unscheduled() {
        if (!status.writable || status.fenced || action_busy || !lease) return false;
        if (!quorum_lease_lost(SteadyClock::now())) return false;  // in ping mode primary_round pings first
        fence_lost_lease();
        return true;
    }

    void on_facts(TickFacts gathered) {
        bool keep_records = !gathered.metadata_read && !facts.records.empty();
        auto records = keep_records ? facts.records : gathered.records;
        facts = std::move(gathered);
        facts.records = std::move(records);
        if (facts.metadata_read && facts.cluster.term > voter.record().term) {
            voter.observe_term(facts.cluster.term);
            persist_voter();
        }
        const auto& local = facts.local;
        status.postgres_up = local.reachable;
        status.role = !local.reachable ? "unknown" : is_witness() ? "witness" : local.in_recovery ? "standby" : "primary";
        status.writable = local.reachable && !local.in_recovery && !is_witness();
        status.streaming = local.reachable && local.in_recovery && local.streaming;
        status.lsn = local.lsn;
        auto replayed = local.replay_lsn ? local.replay_lsn : local.lsn;
        status.lag_bytes = std::nullopt;
        if (status.role == "standby" && facts.primary_lsn && replayed)
            status.lag_bytes = *facts.primary_lsn > *replayed ? std::int64_t(*facts.primary_lsn - *replayed) : 0;
        status.upstream = status.streaming && facts.primary ? std::optional(facts.primary->node_name) : std::nullopt;
        status.term = voter.record().term;
        if (status.role == "standby" && status.fenced) {
            status.fenced = false;  // rejoined
            status.fence_reason.clear();
        }

        notice_role_mismatch();
        // Promoted by its election, its metadata not yet written: not a primary
        // of "term 0" that must fence.
        if (status.role == "primary" && election_busy) decided("no action: promoting after my election");
        else if (status.role == "primary") primary_round();
        else if (status.fenced) fenced_round();
        else if (auto why = switchover.owns_postgres(SteadyClock::now()); why && !local.reachable)
            decided(*why);  // stopped by a switchover, not crashed: no lease release
        else if (was_primary && !local.reachable) release_lease();
        else if (status.role == "standby") standby_round();
        else if (status.role == "witness") decided("no action: witness, voting only");
        else decided("no action: PostgreSQL is not reachable: " + local.error);
        if (status.role != "primary") lease.reset();
        was_primary = status.role == "primary" || (was_primary && !local.reachable);
    }

    // A node running in another role than its metadata records (a standby
    // registered as primary, say) is logged once per change and shown in /status.
    void notice_role_mismatch() {
        std::string mismatch;
        for (const auto& r : facts.records)
            if (r.node_id == config.node_id && status.postgres_up && r.type != "witness" && r.active &&
                r.type != status.role)
                mismatch = fmt::format("registered as {} but running as {}", r.type, status.role);
        if (mismatch != status.role_mismatch && !mismatch.empty())
            log::warning("this node is {}: the metadata will be corrected by a promotion, follow or rejoin, "
                         "or re-register it", mismatch);
        status.role_mismatch = mismatch;
    }

    // ---- primary side
    void primary_round() {
        auto now = SteadyClock::now();
        last_primary_contact = now;
        released = false;
        if (status.fenced) {
            // Someone started it again while fenced: stop it again.
            return fence("PostgreSQL runs again on a fenced node");
        }
        // The term this node leads is the one its own metadata recorded when it
        // became primary; a newer term known to its voter means someone else
        // was elected since (this node may even have voted for them).
        if (!facts.metadata_read) return decided("no action: this primary's pgha metadata cannot be read");
        // Promoted by a switchover that has not recorded its new term yet.
        if (facts.cluster.primary_node_id != config.node_id)
            if (auto held = switchover.hold_reason(now)) return decided(*held);
        std::int64_t term = facts.cluster.primary_node_id == config.node_id ? facts.cluster.term : 0;
        led_term = term;
        if (voter.record().term > term)
            return fence(fmt::format("term {} is newer than the term {} I lead", voter.record().term, term));
        if (!lease) {
            // The votes that elected this node are promises from when it asked for them.
            auto granted_at = won && won->first == term ? won->second : now;
            won.reset();
            lease.emplace(voters(), config.failover.lease_timeout, lease_margin(config.failover.lease_timeout),
                          granted_at);
        }
        auto this_round = ++round;
        lease->set_voters(voters());  // a node may have rejoined since the lease began
        lease->round_sent(this_round, now);
        broadcast("/peer/heartbeat", peer::encode(peer::Heartbeat{term, config.node_id, this_round}),
                  [this, this_round, term](const NodeRecord& peer, std::optional<HttpResponse> response) {
                      if (!response || !lease) return;
                      auto reply = peer::decode_reply(response->body);
                      if (reply.granted && reply.term == term) lease->acknowledged(this_round, peer.node_id);
                      if (reply.term > term && status.writable)
                          fence(fmt::format("node {} is in the newer term {}", peer.node_id, reply.term));
                  },
                  [] {});
        if (quorum_lease_lost(now)) return fence_lost_lease();
        if (ping_decides() && ping_due(now)) return ping_or_fence();
        decided(fmt::format("no action: I am node {}, the primary of term {} with a lease valid for {} ms",
                            config.node_id, term, std::max<long>(0, lease->remaining(now).count())));
    }

    void release_lease() {
        if (released) return;
        released = true;
        decided("PostgreSQL of this primary is down: releasing the lease so that a standby can be elected");
        // The term it led: voters honour a release only from the leader of their term.
        auto term = led_term ? *led_term : voter.record().term;
        broadcast("/peer/release", peer::encode(peer::Release{term, config.node_id}),
                  [](const NodeRecord&, std::optional<HttpResponse>) {}, [] {});
        workers.run([config = config] { record_daemon_event(config, "fencing", true,
                                                            "PostgreSQL of the primary stopped; lease released"); },
                    [] {});
    }

    // Runs the fencing hook and stops PostgreSQL; from then on fenced_round()
    // decides, every tick, whether this node rejoins, stays stopped or unfences.
    void fence(const std::string& reason) {
        if (action_busy || switchover.owns_postgres(SteadyClock::now())) return;
        status.fenced = true;
        status.fence_reason = reason;
        action_busy = true;
        lease.reset();  // a fenced node holds no lease; an unfenced one starts a new one
        // No tick runs while it acts: peers must not be told it still sees a primary.
        status.role = "unknown";
        status.writable = false;
        facts.primary_writable = false;
        decided("fencing: " + reason);
        workers.run([config = config, reason] { fence_node(config, reason); },
                    [this] {
                        action_done();
                        fenced_round();
                    });
    }

    // The lease rule of fencing.mode = "quorum" (and of "ping" beyond two voters).
    bool quorum_lease_lost(TimePoint now) const {
        return voters() > 1 && config.fencing.mode != "off" && !ping_decides() && lease->must_fence(now);
    }
    void fence_lost_lease() {
        fence(fmt::format("lost the lease: no quorum acknowledged a heartbeat for {} ms",
                          config.failover.lease_timeout.count()));
    }

    // fencing.mode = "ping", two voters, the peer silent: the ping targets
    // tell whether this primary is the isolated one.
    bool ping_decides() const { return election::ping_rule_applies(config.fencing.mode == "ping", voters()); }
    // Ping early enough that a failed check still fences before the margin runs out.
    bool ping_due(TimePoint now) const {
        auto budget = Millis(1000) * static_cast<long>(config.fencing.ping_targets.size()) + Millis(500);
        return lease->remaining(now) <= lease_margin(config.failover.lease_timeout) + budget;
    }
    // Checks the ping targets on a worker; `then` runs on the loop.
    void check_ping(std::function<void(const PingOutcome&)> then) {
        auto outcome = std::make_shared<PingOutcome>();
        workers.run([targets = config.fencing.ping_targets, outcome] {
                        *outcome = check_ping_targets(targets, Millis(1000));
                    },
                    [outcome, then = std::move(then)] { then(*outcome); });
    }
    void ping_or_fence() {
        if (ping_busy) return;
        ping_busy = true;
        check_ping([this](const PingOutcome& outcome) {
            ping_busy = false;
            // A heartbeat round may have been acknowledged while it pinged.
            if (!lease || !status.writable || !ping_due(SteadyClock::now())) return;
            if (!outcome.answered) return fence("the peer is lost and " + outcome.detail + " (fencing.mode = \"ping\")");
            decided(fmt::format("no action: the peer does not acknowledge my heartbeats, but {}: staying primary "
                                "(fencing.mode = \"ping\")",
                                outcome.detail));
        });
    }

    // A fenced node with PostgreSQL stopped asks its peers what they see: a
    // primary in a newer term is rejoined (auto_rejoin) or waited out; with no
    // newer term anywhere it tries to take its lease back and unfence.
    void fenced_round() {
        if (action_busy) return;
        action_busy = true;
        ask_peer_states([this](const PeerReports& reports) {
            action_busy = false;
            after_fenced_survey(reports);
        });
    }

    void after_fenced_survey(const PeerReports& reports) {
        const NodeRecord* newest_primary = nullptr;
        std::int64_t newest_primary_term = 0;
        std::size_t answered = 0;
        auto newest_term = voter.record().term;
        auto led = led_term.value_or(0);
        for (const auto& [record, state] : reports) {
            if (!state) continue;
            ++answered;
            newest_term = std::max(newest_term, state->term);
            if (state->role == "primary" && state->sees_primary && state->term > led &&
                (!newest_primary || state->term > newest_primary_term)) {
                newest_primary = &record;
                newest_primary_term = state->term;
            }
        }
        if (newest_term > voter.record().term) {
            voter.observe_term(newest_term);
            persist_voter();
        }
        if (newest_primary) {
            if (!config.fencing.auto_rejoin)
                return decided(fmt::format("fenced ({}); node {} is the primary of term {} and [fencing] auto_rejoin "
                                           "is off: PostgreSQL stays stopped",
                                           status.fence_reason, newest_primary->node_id, newest_primary_term));
            decided(fmt::format("fenced; rejoining as a standby of node {} (term {})", newest_primary->node_id,
                                newest_primary_term));
            action_busy = true;
            return workers.run(
                [config = config, conninfo = newest_primary->conninfo] { rejoin_as_standby(config, conninfo); },
                [this] { action_done(); });
        }
        if (newest_term > led)
            return decided(fmt::format("fenced ({}); term {} is newer than the term {} I led and its primary is not "
                                       "visible yet: PostgreSQL stays stopped, asking again",
                                       status.fence_reason, newest_term, led));
        if (SteadyClock::now() < next_unfence_attempt)
            return decided(fmt::format("fenced ({}); the last attempt to unfence failed: trying again later",
                                       status.fence_reason));
        // Without answers from a quorum the lease cannot come back: do not even start PostgreSQL.
        if (answered + 1 < election::quorum(voters()))
            return decided(fmt::format("fenced ({}); only {} of {} voters answer: PostgreSQL stays stopped",
                                       status.fence_reason, answered + 1, voters()));
        try_unfence(led);
    }

    void unfence_failed(const std::string& why) {
        action_done();
        next_unfence_attempt = SteadyClock::now() + std::max(Millis(10000), 10 * config.failover.monitor_interval);
        decided(fmt::format("fenced ({}); unfencing failed: {}", status.fence_reason, why));
    }

    // Nobody was elected after this node fenced. Its PostgreSQL replays its
    // own WAL as a standby first, however long that takes; then a heartbeat
    // round in its own term that a quorum acknowledges is a fresh lease (those
    // voters promise not to vote for lease_timeout), and only then is it
    // promoted, within that lease.
    void try_unfence(std::int64_t led) {
        action_busy = true;
        decided(fmt::format("unfencing: no newer term exists; PostgreSQL starts in recovery to replay its WAL, "
                            "then asks a quorum for the lease of term {}",
                            led));
        auto failure = std::make_shared<std::optional<std::string>>();
        workers.run([config = config, failure] { *failure = start_in_recovery(config, Millis(600000)); },
                    [this, failure, led] {
                        if (*failure) return unfence_failed(**failure);
                        ask_for_lease_back(led);
                    });
    }

    void ask_for_lease_back(std::int64_t led) {
        auto sent_at = SteadyClock::now();
        auto acks = std::make_shared<std::size_t>(1);
        broadcast("/peer/heartbeat", peer::encode(peer::Heartbeat{led, config.node_id, ++round}),
                  [acks, led](const NodeRecord&, std::optional<HttpResponse> response) {
                      if (!response) return;
                      auto reply = peer::decode_reply(response->body);
                      if (reply.granted && reply.term == led) ++*acks;
                  },
                  [this, acks, led, sent_at] {
                      auto needed = election::quorum(voters());
                      // Its own acknowledgment last: a failed attempt must not stop it voting for another.
                      if (*acks < needed || voter.record().term != led ||
                          !voter.on_heartbeat(led, config.node_id, SteadyClock::now()).granted) {
                          auto why = fmt::format("only {} of {} voters acknowledge my term {} (a quorum is {})", *acks,
                                                 voters(), led, needed);
                          return workers.run([config = config] { stop_after_failed_unfence(config); },
                                             [this, why] { unfence_failed(why); });
                      }
                      decided(fmt::format("unfencing: {} of {} voters acknowledge my term {}: promoting", *acks,
                                          voters(), led));
                      won = std::make_pair(led, sent_at);  // the lease counts from this round
                      auto deadline = sent_at + config.failover.lease_timeout - lease_margin(config.failover.lease_timeout);
                      auto promoted = std::make_shared<bool>(false);
                      workers.run([config = config, reason = status.fence_reason, deadline, promoted] {
                                      *promoted = promote_unfenced(config, reason, deadline);
                                  },
                                  [this, promoted] {
                                      if (!*promoted) return unfence_failed("the promotion did not finish in time");
                                      action_done();
                                      status.fenced = false;
                                      status.fence_reason.clear();
                                  });
                  });
    }

    void action_done() {
        action_busy = false;
        ++action_generation;
    }

    // ---- standby side
    void standby_round() {
        auto now = SteadyClock::now();
        if (facts.primary_writable) {
            lost_since.reset();
            last_primary_contact = now;
            return decided("no action: connected to the primary");
        }
        if (!lost_since) lost_since = now;
        if (auto held = switchover.hold_reason(now)) return decided(*held);
        if (election_busy || action_busy) return;
        election::StandbySnapshot s = base_snapshot(now);
        // Guards that need no peers first: ask the peers only when they pass.
        if (auto early = election::check_local_guards(s)) {
            // Decide again the moment a wait ends, not up to one interval later.
            if (early->action == election::Action::wait)
                next_tick_sooner = s.upstream_lost_for < s.failure_threshold ? s.failure_threshold - s.upstream_lost_for
                                                                              : s.lease_remaining;
            return decided(early->reason);
        }
        election_busy = true;
        ask_peer_states([this](const PeerReports& reports) { on_peer_states(reports); });
    }

    election::StandbySnapshot base_snapshot(TimePoint now) const {
        election::StandbySnapshot s;
        s.self_id = config.node_id;
        s.automatic = config.failover.mode == "automatic";
        s.paused = durable.paused;
        s.upstream_connected = false;
        s.upstream_lost_for = std::chrono::duration_cast<Millis>(now - *lost_since);
        s.failure_threshold = config.failover.reconnect_attempts * config.failover.reconnect_interval;
        s.lease_expired = voter.lease_expired(now);
        s.lease_remaining = voter.promise_remaining(now);
        s.voters = voters();
        s.maximum_lag = config.failover.maximum_lag_on_failover;
        s.ping_mode = config.fencing.mode == "ping";
        s.candidates.push_back({config.node_id, true, false, config.priority, status.lsn});
        return s;
    }

    void on_peer_states(const PeerReports& reports) {
        auto s = base_snapshot(SteadyClock::now());
        for (const auto& [record, state] : reports) {
            s.peers.push_back({record.node_id, state.has_value(), state && state->sees_primary});
            bool witness = record.type == "witness" || (state && state->role == "witness");
            s.candidates.push_back({record.node_id, state.has_value() && state->role == "standby", witness,
                                    state ? state->priority : record.priority, state ? state->lsn : std::nullopt});
            if (state && state->paused) s.paused = true;  // any paused daemon pauses the cluster
        }
        bool peer_lost = std::any_of(s.peers.begin(), s.peers.end(), [](const auto& p) { return !p.reachable; });
        if (!election::ping_rule_applies(s.ping_mode, s.voters) || !peer_lost) return decide_and_elect(s, "");
        // fencing.mode = "ping": whether this node can reach a ping target decides in place of the lost peer.
        check_ping([this, s](const PingOutcome& outcome) mutable {
            s.ping_answered = outcome.answered;
            decide_and_elect(s, outcome.detail);
        });
    }

    void decide_and_elect(const election::StandbySnapshot& s, const std::string& ping_detail) {
        auto decision = election::decide_standby(s);
        decided(ping_detail.empty() ? decision.reason : decision.reason + " (" + ping_detail + ")");
        if (decision.action != election::Action::start_election) {
            election_busy = false;
            return;
        }
        run_election(s.ping_answered.value_or(false));
    }

    // `ping_stands_in`: two voters in fencing.mode = "ping", the peer lost and
    // a ping target answered: this node's own vote suffices unless the peer
    // answers after all and refuses.
    void run_election(bool ping_stands_in) {
        auto asked_at = SteadyClock::now();
        auto term = voter.start_candidacy(config.node_id, asked_at);
        try {
            persist_voter();
        } catch (const Error& error) {
            election_busy = false;
            return decided(std::string("no election: cannot persist my candidacy: ") + error.what());
        }
        auto needed = ping_stands_in ? std::size_t(1) : election::quorum(voters());
        auto grants = std::make_shared<std::size_t>(1);
        auto refusals = std::make_shared<std::size_t>(0);
        auto lsn = status.lsn.value_or(0);
        decided(fmt::format("electing: asking for votes in term {} (need {} of {})", term, needed, voters()));
        broadcast("/peer/vote", peer::encode(peer::VoteRequest{term, config.node_id, lsn}),
                  [this, grants, refusals](const NodeRecord& peer, std::optional<HttpResponse> response) {
                      if (!response) return;
                      auto reply = peer::decode_reply(response->body);
                      if (reply.granted) ++*grants;
                      else {
                          ++*refusals;
                          log::info("node {} refused its vote: {}", peer.node_id, reply.reason);
                      }
                      if (reply.term > voter.record().term) {
                          voter.observe_term(reply.term);
                          persist_voter();
                      }
                  },
                  [this, grants, refusals, needed, term, asked_at, ping_stands_in] {
                      if (*grants < needed || voter.record().term != term || (ping_stands_in && *refusals > 0)) {
                          election_busy = false;
                          return decided(fmt::format("election of term {} lost: {} of {} votes", term, *grants, needed));
                      }
                      decided(fmt::format("won the election of term {} with {} votes: promoting", term, *grants));
                      won = std::make_pair(term, asked_at);
                      workers.run([config = config, term, votes = *grants] { promote_elected(config, term, votes); },
                                  [this] {
                                      election_busy = false;
                                      ++action_generation;  // facts gathered while it promoted are stale
                                      lost_since.reset();
                                      ++status.failovers;
                                  });
                  });
    }
};

Daemon::Daemon(asio::io_context& io, Config config, std::string secret)
    : impl_(std::make_unique<Impl>(io, std::move(config), std::move(secret))) {}

Daemon::~Daemon() = default;

void Daemon::start() {
    impl_->server->start();
    log::info("pghad for node \"{}\" (ID {}) listening on {}", impl_->config.node_name, impl_->config.node_id,
              impl_->config.daemon.listen);
    impl_->workers.run([config = impl_->config] { record_daemon_event(config, "daemon_start", true, "pghad started"); },
                       [] {});
    impl_->tick();
}

void Daemon::stop() {
    impl_->stopping = true;
    impl_->timer.cancel();
    impl_->server->stop();
}

void Daemon::reload(Config config, std::string secret) {
    auto& running = impl_->config;
    if (config.node_id != running.node_id || config.node_name != running.node_name)
        return log::warning("reload refused, keeping the old configuration: node_id/node_name changed ({} \"{}\" -> "
                            "{} \"{}\"); a node's identity changes only with a restart of pghad",
                            running.node_id, running.node_name, config.node_id, config.node_name);
    // What is bound or open at start keeps its running value until a restart.
    for (auto [key, kept, wanted] : {std::tuple{"daemon.listen", &running.daemon.listen, &config.daemon.listen},
                                     std::tuple{"daemon.state_dir", &running.daemon.state_dir, &config.daemon.state_dir},
                                     std::tuple{"daemon.log_file", &running.daemon.log_file, &config.daemon.log_file}})
        if (*kept != *wanted) {
            log::warning("{} changed to \"{}\": takes effect when pghad restarts", key, *wanted);
            *wanted = *kept;
        }
    auto changes = config_changes(running, config);
    bool secret_changed = secret != impl_->secret;
    impl_->router.set_secret(secret);
    impl_->secret = std::move(secret);
    impl_->config = std::move(config);
    if (secret_changed) changes.push_back("the cluster secret (daemon.secret_file contents) changed");
    if (changes.empty()) return log::info("configuration reloaded: nothing changed");
    log::info("configuration reloaded: {}", fmt::join(changes, "; "));
}

}  // namespace pgha
