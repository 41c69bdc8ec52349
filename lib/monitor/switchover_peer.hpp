#pragma once
// A daemon's side of `pgha standby switchover` (DESIGN.md section 8; the
// messages are in actions/switchover_protocol.hpp), on the loop thread:
//  - the hold: while a switchover holds this daemon, it starts no election,
//    grants no vote and reports itself paused to its peers; the hold runs out
//    by itself unless the CLI renews it;
//  - on the old primary, the steps: stop PostgreSQL cleanly (demote), then
//    start it as a standby of the new primary (rejoin) or, when the
//    switchover failed, as the primary again (resume). Each step runs on a
//    worker thread; the request is answered at once and the CLI polls the
//    step's outcome. While a step runs, or after a demote while the
//    switchover still holds, the stopped PostgreSQL is not a crash: the
//    daemon neither releases its lease nor fences.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "actions/demote.hpp"
#include "actions/switchover_protocol.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"
#include "decision/switchover_hold.hpp"
#include "http/router.hpp"
#include "protocol/daemon_status.hpp"

namespace pgha {

class Workers;

class SwitchoverPeer {
public:
    using Clock = std::chrono::steady_clock;

    struct Hooks {
        std::function<DaemonStatus()> status;                             // the daemon's current view
        std::function<std::optional<NodeRecord>(int node_id)> find_node;  // from its metadata
        // The hold or a step changed; `postgres_changing`: a step starts or ends, the view is stale.
        std::function<void(const decision::SwitchoverHold&, bool postgres_changing)> changed;
        // The switchover promoted this node's PostgreSQL: look at it now.
        std::function<void()> promoted;
    };

    // `config` is the daemon's own (a reload replaces it in place).
    SwitchoverPeer(Workers& workers, const Config& config, Hooks hooks);

    // POST /peer/hold, /peer/demote, /peer/rejoin, /peer/resume, /peer/switchover-state.
    void add_routes(Router& router);

    const decision::SwitchoverHold& hold() const { return hold_; }

private:
    bool holds(const std::string& id, Clock::time_point now) const { return decision::holds(hold_, id, now); }
    void set_step(const switchover::Step& step, bool postgres_changing);
    HttpResponse on_hold(const HttpRequest& request);
    HttpResponse on_demote(const HttpRequest& request);
    HttpResponse on_rejoin(const HttpRequest& request);
    HttpResponse on_resume(const HttpRequest& request);
    HttpResponse on_promoted(const HttpRequest& request);
    HttpResponse state();
    // A refusal when switchover `id` may not start step `name` now.
    std::optional<HttpResponse> refuse_step(const std::string& id, const std::string& name, bool after_demote) const;
    HttpResponse start_step(const std::string& id, const std::string& name, std::function<switchover::Step()> job);
    void check_service();

    Workers& workers_;
    const Config& config_;
    Hooks hooks_;
    decision::SwitchoverHold hold_;  // what the decision core is told
    std::optional<switchover::Step> step_;
    ServiceReadiness service_;
    std::string service_checked_;  // the settings service_ was computed for
    bool service_checking_ = false;
};

}  // namespace pgha
