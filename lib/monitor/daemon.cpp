// pghad as a driver of the decision core (decision/core.hpp): the timer, the
// HTTP routes, the broadcasts to peers and the worker threads that carry out
// the core's effects. No failover decision is made here.
#include "http/asio_compat.hpp"

#include "monitor/daemon.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "actions/timeline_files.hpp"
#include "config/reload.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "decision/core.hpp"
#include "hooks/notify.hpp"
#include "http/auth.hpp"
#include "http/client.hpp"
#include "http/health.hpp"
#include "http/listen_address.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "monitor/core_inputs.hpp"
#include "monitor/core_jobs.hpp"
#include "monitor/daemon_actions.hpp"
#include "monitor/deadlines.hpp"
#include "monitor/facts.hpp"
#include "monitor/failover_clock.hpp"
#include "monitor/peer_contacts.hpp"
#include "monitor/postmaster_watch.hpp"
#include "monitor/state_store.hpp"
#include "monitor/switchover_peer.hpp"
#include "monitor/upstream_watch.hpp"
#include "monitor/workers.hpp"
#include "probe/probe.hpp"
#include "protocol/daemon_status.hpp"
#include "protocol/peer_messages.hpp"

namespace pgha {
namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;
using decision::Detected;

struct Daemon::Impl {
    asio::io_context& io;
    Config config;
    std::string secret;
    StateStore store;
    decision::Core core;
    Router router;
    std::unique_ptr<HttpServer> server;
    asio::steady_timer timer;
    WitnessSync witness_sync;  // before workers: it must outlive the monitoring rounds that use it
    Workers workers;
    PostmasterWatch postmaster;  // its exit is an event, not a finding of the next round
    UpstreamWatch upstream;      // so is a standby's connection to its primary breaking
    TickFacts facts;
    std::string role_mismatch;
    std::optional<SteadyClock::time_point> last_history_sample;
    bool stopping = false;
    SwitchoverPeer switchover;  // pgha standby switchover: hold and old-primary steps
    // For /metrics only: nothing here drives a decision.
    FailoverClock failover_clock;
    PeerContacts contacts;
    std::int64_t known_term = -1;
    std::optional<SteadyClock::time_point> term_since;  // when this daemon learned known_term
    // The loop's last tick, set on the loop thread: /liveness answers from it, without SQL.
    std::optional<SteadyClock::time_point> last_tick;

    Impl(asio::io_context& io_, Config config_, std::string secret_)
        : io(io_), config(std::move(config_)), secret(std::move(secret_)), store(config.daemon.state_dir),
          core(core_settings(config), store.load(), [this](const DurableState& d) { store.save(d); },
               SteadyClock::now()),
          router(secret), timer(io_), workers(io_),
          postmaster(io_, config.data_directory, [this](bool clean) { detected(clean ? Detected::postmaster_stopped
                                                                                      : Detected::postmaster_crashed); }),
          upstream(io_, workers, [this] { detected(Detected::upstream_lost); }),
          switchover(workers, config, switchover_hooks()) {
        add_routes();
        server = std::make_unique<HttpServer>(io, config.daemon.listen, router);
    }

    // ---- carrying out the core's effects
    void carry(decision::Effects fx) {
        note_for_metrics(fx);
        for (const auto& note : fx.notes) {
            if (note.level == decision::Level::warning) log::warning("{}", note.text);
            else log::info("{}", note.text);
        }
        for (auto& b : fx.broadcasts) send_all(std::move(b));
        for (auto& job : fx.jobs) run_job(std::move(job));
        if (fx.gather) gather(*fx.gather);
        if (fx.tick_in && !stopping) arm_timer(*fx.tick_in);
    }

    // What the failover clock learns from the core's effects: an election's
    // start, a promotion's start, a term change.
    void note_for_metrics(const decision::Effects& fx) {
        auto now = SteadyClock::now();
        for (const auto& b : fx.broadcasts)
            if (b.call == decision::Call::vote) {
                failover_clock.primary_contact(core.status().last_primary_contact);
                failover_clock.election_started(now, core.primary_exited());
            }
        for (const auto& job : fx.jobs) {
            if (job.kind == decision::JobKind::promote) failover_clock.promotion_started(now);
            if (job.kind == decision::JobKind::promote_unfenced) failover_clock.self_promotion();
        }
        if (core.status().term != known_term) {
            known_term = core.status().term;
            term_since = now;
        }
    }

    void arm_timer(Millis delay) {
        timer.expires_after(delay);
        timer.async_wait([this](const boost::system::error_code& error) {
            if (!error && !stopping) tick();
        });
    }

    void tick() {
        last_tick = SteadyClock::now();
        carry(core.on_tick(*last_tick));
    }

    const NodeRecord* record(int node_id) const {
        for (const auto& r : facts.records)
            if (r.node_id == node_id) return &r;
        return nullptr;
    }

    Millis peer_timeout() const { return std::clamp(config.failover.monitor_interval, Millis(300), Millis(2000)); }

    static std::string encode_message(const decision::Outgoing& message) {
        return std::visit(
            [](const auto& m) -> std::string {
                if constexpr (std::is_same_v<std::decay_t<decltype(m)>, decision::StateRequest>) return "{}";
                else return peer::encode(m);
            },
            message);
    }

    static std::optional<decision::Answer> decode_answer(decision::Call call, const std::optional<HttpResponse>& r) {
        if (!r || r->status != 200) return std::nullopt;
        try {
            if (decision::answers_with_state(call)) return peer::decode_state(r->body);
            return peer::decode_reply(r->body);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }

    void send_all(decision::Broadcast b) {
        auto body = encode_message(b.message);
        for (int target : b.targets) {
            auto answered = [this, id = b.call_id, call = b.call, target](std::optional<HttpResponse> response) {
                if (response && response->status == 200) contacts.heard(target, SteadyClock::now());
                carry(core.on_answer(id, target, decode_answer(call, response), SteadyClock::now()));
            };
            const auto* peer = record(target);
            auto address = peer ? parse_listen_address(peer->daemon_listen) : std::nullopt;
            if (!address) {
                asio::post(io, [answered] { answered(std::nullopt); });
                continue;
            }
            auto request = signed_request("POST", decision::call_path(b.call), body, secret,
                                          std::chrono::system_clock::now());
            http_request(io, address->host, address->port, std::move(request), peer_timeout(),
                         [answered](std::optional<HttpResponse> response, std::string) { answered(response); });
        }
    }

    void run_job(decision::Job job) {
        auto result = std::make_shared<decision::JobResult>();
        workers.run([config = config, job, result, records = facts.records] {
                        *result = run_core_job(config, job, records);
                    },
                    [this, id = job.id, kind = job.kind, result] {
                        if (kind == decision::JobKind::promote && result->ok)
                            failover_clock.promotion_finished(SteadyClock::now(), std::chrono::system_clock::now());
                        else if (kind == decision::JobKind::promote)
                            failover_clock.promotion_failed();
                        carry(core.on_job_done(id, *result, SteadyClock::now()));
                    });
    }

    void gather(std::uint64_t generation) {
        auto gathered = std::make_shared<TickFacts>();
        auto now = SteadyClock::now();
        bool sample = config.daemon.history_interval.count() > 0 && core.status().writable &&
                      (!last_history_sample || now - *last_history_sample >= config.daemon.history_interval);
        if (sample) last_history_sample = now;
        workers.run([config = config, gathered, sample, known = facts.records, &witness_sync = witness_sync] {
                        *gathered = gather_facts(config, sample, witness_sync);
                        flush_pending_events(config, gathered->records.empty() ? known : gathered->records);
                    },
                    [this, gathered, generation] { on_gathered(std::move(*gathered), generation); });
    }

    void detected(decision::Detected what) {
        if (!stopping) carry(core.on_detected(what, SteadyClock::now()));
    }

    // What the round found decides what is watched between rounds.
    void watch_between_rounds(const TickFacts& gathered) {
        if (gathered.local.reachable) postmaster.follow();
        bool streams = gathered.local.reachable && gathered.local.in_recovery && gathered.primary &&
                       gathered.primary->node_id != config.node_id && gathered.primary_writable;
        if (streams) upstream.follow(gathered.primary->conninfo, remote_deadline(config));
        else upstream.drop();
    }

    void on_gathered(TickFacts gathered, std::uint64_t generation) {
        watch_between_rounds(gathered);
        auto fx = core.on_facts(core_facts(gathered), generation, SteadyClock::now());
        round_for_metrics(gathered);
        // Unreadable metadata keeps the records of the last round, as the core keeps its members.
        bool keep_records = !gathered.metadata_read && !facts.records.empty();
        auto records = keep_records ? facts.records : gathered.records;
        facts = std::move(gathered);
        facts.records = std::move(records);
        notice_role_mismatch();
        carry(std::move(fx));
    }

    void round_for_metrics(const TickFacts& gathered) {
        auto now = SteadyClock::now();
        if (gathered.primary_writable && gathered.primary && gathered.primary->node_id != config.node_id)
            failover_clock.other_primary_writable(now);
        if (decision::holds(switchover.hold(), "", now)) failover_clock.held(now);
        const auto& s = core.status();
        failover_clock.round(s.postgres_up && s.role == decision::Role::standby,
                             s.role == decision::Role::primary && s.writable, now, std::chrono::system_clock::now());
    }

    // A node running in another role than its metadata records (a standby
    // registered as primary, say) is logged once per change and shown in /status.
    void notice_role_mismatch() {
        std::string mismatch;
        auto role = decision::role_name(core.status().role);
        for (const auto& r : facts.records)
            if (r.node_id == config.node_id && core.status().postgres_up && r.type != "witness" && r.active &&
                r.type != role)
                mismatch = fmt::format("registered as {} but running as {}", r.type, role);
        if (mismatch != role_mismatch && !mismatch.empty())
            log::warning("this node is {}: the metadata will be corrected by a promotion, follow or rejoin, "
                         "or re-register it", mismatch);
        role_mismatch = mismatch;
    }

    // ---- routes
    void add_routes() {
        add_health_routes(router, [this] { return current_status(); });
        router.add("POST", "/peer/heartbeat", [this](const HttpRequest& r) {
            auto m = peer::decode_heartbeat(r.body);
            contacts.heartbeat(m.leader_id, m.term, SteadyClock::now());
            auto [reply, fx] = core.on_heartbeat(m, SteadyClock::now());
            carry(std::move(fx));
            return json(peer::encode(reply));
        }, Access::peer);
        router.add("POST", "/peer/release", [this](const HttpRequest& r) {
            auto m = peer::decode_release(r.body);
            contacts.heard(m.leader_id, SteadyClock::now());
            auto [reply, fx] = core.on_release(m, SteadyClock::now());
            carry(std::move(fx));
            return json(peer::encode(reply));
        }, Access::peer);
        // Read afresh like a vote: candidates that rank each other on WAL
        // positions of different ages could both stand and split the votes.
        router.add_async("POST", "/peer/state", [this](const HttpRequest&, Respond respond) {
            read_local([this, respond = std::move(respond)](const std::optional<decision::LocalRead>& fresh) {
                respond(json(peer::encode(core.on_state_request(SteadyClock::now(), fresh))));
            });
        }, Access::peer);
        router.add_async("POST", "/peer/vote", [this](const HttpRequest& r, Respond respond) {
            auto m = peer::decode_vote_request(r.body);
            contacts.heard(m.candidate_id, SteadyClock::now());
            on_vote(m, std::move(respond));
        }, Access::peer);
        router.add("POST", "/peer/pause", [this](const HttpRequest& r) {
            auto m = peer::decode_pause(r.body);
            auto reply = core.on_pause(m.paused);
            log::info("automatic failover {}", m.paused ? "paused" : "resumed");
            return json(peer::encode(reply));
        }, Access::peer);
        switchover.add_routes(router);
    }

    // The voter's own server is read afresh on a worker (bounded by the
    // connect timeout), so a slow server never stalls the loop's heartbeats.
    void on_vote(const peer::VoteRequest& m, Respond respond) {
        if (auto refusal = core.check_vote(m, SteadyClock::now())) return respond(json(peer::encode(*refusal)));
        read_local([this, m, respond = std::move(respond)](const std::optional<decision::LocalRead>& fresh) {
            auto reply = core.on_vote(m, fresh.value_or(decision::LocalRead{}), SteadyClock::now());
            if (reply.granted) log::info("voted for node {} in term {}", m.candidate_id, m.term);
            respond(json(peer::encode(reply)));
        });
    }

    // The local server read on a worker, bounded by the local deadline; a
    // witness votes without WAL and reads nothing (nullopt).
    void read_local(std::function<void(const std::optional<decision::LocalRead>&)> then) {
        auto fresh = std::make_shared<std::optional<decision::LocalRead>>();
        bool read = !core.votes_without_wal();
        workers.run([conninfo = config.conninfo, data_directory = config.data_directory,
                     deadline = local_deadline(config), fresh, read] {
                        if (!read) return;
                        *fresh = core_local(observe_within(conninfo, deadline));
                        (*fresh)->newest_timeline = newest_known_timeline(data_directory);
                    },
                    [fresh, then = std::move(then)] { then(*fresh); });
    }

    SwitchoverPeer::Hooks switchover_hooks() {
        return {[this] { return current_status(); },
                [this](int node_id) -> std::optional<NodeRecord> {
                    if (const auto* r = record(node_id)) return *r;
                    return std::nullopt;
                },
                [this](const decision::SwitchoverHold& hold, bool postgres_changing) {
                    if (decision::holds(hold, "", SteadyClock::now())) failover_clock.held(SteadyClock::now());
                    carry(core.on_switchover(hold, postgres_changing, SteadyClock::now()));
                },
                [this] { carry(core.on_local_change()); }};
    }
    static HttpResponse json(std::string body) { return {200, "application/json", std::move(body)}; }

    DaemonStatus current_status() const {
        const auto& s = core.status();
        DaemonStatus status;
        status.node_id = config.node_id;
        status.node_name = config.node_name;
        status.role = decision::role_name(s.role);
        status.postgres_up = s.postgres_up;
        // Not while a switchover step stops or restarts it: the stop has begun.
        status.writable = s.writable && !core.switchover_step_running();
        status.term = s.term;
        status.paused = s.paused;
        status.fenced = s.fenced;
        status.fence_reason = s.fence_reason;
        status.role_mismatch = role_mismatch;
        status.lsn = s.lsn;
        status.failovers = s.failovers;
        status.last_decision = s.last_decision;
        status.hook_failures = hook_failure_count();
        status.lease_timeout_ms = config.failover.lease_timeout.count();
        status.lease_mismatch = s.lease_mismatch;
        const auto& local = facts.local;
        status.streaming = local.reachable && local.in_recovery && local.streaming;
        auto replayed = local.replay_lsn ? local.replay_lsn : local.lsn;
        if (s.role == decision::Role::standby && facts.primary_lsn && replayed)
            status.lag_bytes = *facts.primary_lsn > *replayed ? std::int64_t(*facts.primary_lsn - *replayed) : 0;
        if (status.streaming && facts.primary) status.upstream = facts.primary->node_name;
        if (s.last_primary_contact)
            status.last_primary_contact_ms =
                std::chrono::duration_cast<Millis>(SteadyClock::now() - *s.last_primary_contact).count();
        status.tags = config.tags;
        if (last_tick)
            status.last_tick_ms = std::chrono::duration_cast<Millis>(SteadyClock::now() - *last_tick).count();
        status.liveness_bound_ms = (3 * config.failover.monitor_interval + Millis(1000)).count();
        status.maximum_lag_on_failover = config.failover.maximum_lag_on_failover;
        status.metrics = current_metrics();
        return status;
    }

    DaemonMetrics current_metrics() const {
        auto now = SteadyClock::now();
        const auto& s = core.status();
        DaemonMetrics m;
        m.cluster = config.daemon.cluster_name;
        auto known = [](const std::optional<double>& v) { return v.value_or(DaemonMetrics::unknown); };
        auto secs = [](Millis d) { return static_cast<double>(d.count()) / 1000.0; };
        if (facts.local.reachable) {
            if (facts.local.timeline) m.timeline = *facts.local.timeline;
            const auto& server = facts.server;
            m.current_lsn = known(server.current_lsn);
            m.received_lsn = known(server.received_lsn);
            m.replayed_lsn = known(server.replayed_lsn);
            m.replay_lag_seconds = known(server.replay_lag_seconds);
            m.pending_restart = known(server.pending_restart);
            m.server_version = known(server.server_version);
            m.postmaster_start_seconds = known(server.postmaster_start);
        }
        bool primary = s.role == decision::Role::primary;
        if (primary) m.lease_remaining_seconds = core.lease() ? secs(core.lease()->remaining(now)) : 0;
        m.promise_remaining_seconds = secs(core.voter().promise_remaining(now));
        auto window = config.failover.lease_timeout;
        m.voters_visible = static_cast<double>(1 + contacts.heard_within(config.node_id, now, window));
        m.quorum_size = static_cast<double>(election::quorum(std::max<std::size_t>(facts.records.size(), 1)));
        // Itself, the registered primary when it answered writable, and every
        // peer that sends heartbeats as primary.
        std::size_t seen = primary && s.writable ? 1 : 0;
        seen += contacts.leaders(config.node_id, s.term, term_since, now, window);
        if (facts.primary && facts.primary->node_id != config.node_id && facts.primary_writable &&
            !contacts.leads(facts.primary->node_id, s.term, term_since, now, window))
            ++seen;
        m.primaries_seen = static_cast<double>(seen);
        failover_clock.report(m);
        return m;
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
    impl_->postmaster.stop();
    impl_->upstream.drop();
    impl_->server->stop();
}

void Daemon::reload(Config config, std::string secret) {
    // The settings table decides: identity changes are refused, what is
    // bound or open at start keeps its running value until a restart.
    auto plan = plan_reload(impl_->config, std::move(config));
    if (plan.refused) return log::warning("{}", plan.refusal);
    for (const auto& warning : plan.restart_warnings) log::warning("{}", warning);
    auto changes = std::move(plan.changes);
    bool secret_changed = secret != impl_->secret;
    impl_->router.set_secret(secret);
    impl_->secret = std::move(secret);
    impl_->config = std::move(plan.config);
    impl_->core.on_reload(core_settings(impl_->config));
    if (secret_changed) changes.push_back("the cluster secret (daemon.secret_file contents) changed");
    if (changes.empty()) return log::info("configuration reloaded: nothing changed");
    log::info("configuration reloaded: {}", fmt::join(changes, "; "));
}

}  // namespace pgha
