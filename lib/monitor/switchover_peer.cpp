#include "monitor/switchover_peer.hpp"

#include <fmt/format.h>

#include <memory>

#include "actions/rejoin.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "monitor/workers.hpp"

namespace pgha {
namespace {

using switchover::Step;
using switchover::StepState;

HttpResponse conflict(std::string reason) { return {409, "text/plain; charset=utf-8", std::move(reason) + "\n"}; }

std::string full_message(const Error& error) {
    std::string text = error.what();
    if (!error.detail().empty()) text += " (" + error.detail() + ")";
    if (!error.hint().empty()) text += "; hint: " + error.hint();
    return text;
}

Step demote_step(const Config& config, Millis timeout) {
    auto outcome = demote_primary(config, timeout);
    Step step;
    step.state = outcome.stopped ? StepState::done : StepState::failed;
    step.message = outcome.message;
    step.checkpoint_lsn = outcome.checkpoint_lsn;
    step.timeline = outcome.timeline;
    step.clean = outcome.clean;
    step.running_as_primary = outcome.running_as_primary;
    step.refused = outcome.refused;
    return step;
}

Step rejoin_step(const Config& config, const std::string& primary_conninfo, bool allow_rewind) {
    Step step;
    try {
        GlobalOptions options;
        options.dbname = primary_conninfo;
        RejoinOptions rejoin;
        rejoin.allow_rewind = allow_rewind;
        step.message = rejoin_node(config, options, rejoin).message;
        step.state = StepState::done;
    } catch (const Error& error) {
        step.message = full_message(error);
        step.state = StepState::failed;
    }
    return step;
}

Step resume_step(const Config& config) {
    auto outcome = resume_primary(config);
    Step step;
    step.state = outcome.running_as_primary ? StepState::done : StepState::failed;
    step.message = outcome.message;
    step.running_as_primary = outcome.running_as_primary;
    return step;
}

std::string service_key(const Config& config) {
    return fmt::format("{}\n{}\n{}\n{}", config.service.stop_command, config.service.start_command,
                       config.data_directory, config.pg_bindir);
}

}  // namespace

SwitchoverPeer::SwitchoverPeer(Workers& workers, const Config& config, Hooks hooks)
    : workers_(workers), config_(config), hooks_(std::move(hooks)) {
    check_service();
}

void SwitchoverPeer::add_routes(Router& router) {
    router.add("POST", "/peer/hold", [this](const HttpRequest& r) { return on_hold(r); }, Access::peer);
    router.add("POST", "/peer/demote", [this](const HttpRequest& r) { return on_demote(r); }, Access::peer);
    router.add("POST", "/peer/rejoin", [this](const HttpRequest& r) { return on_rejoin(r); }, Access::peer);
    router.add("POST", "/peer/resume", [this](const HttpRequest& r) { return on_resume(r); }, Access::peer);
    router.add("POST", "/peer/promoted", [this](const HttpRequest& r) { return on_promoted(r); }, Access::peer);
    router.add("POST", "/peer/switchover-state", [this](const HttpRequest&) { return state(); }, Access::peer);
}

void SwitchoverPeer::set_step(const Step& step, bool postgres_changing) {
    step_ = step;
    hold_.has_step = true;
    hold_.step_id = step.id;
    hold_.step_name = step.name;
    hold_.step_running = step.state == StepState::running;
    hold_.step_failed = step.state == StepState::failed;
    hooks_.changed(hold_, postgres_changing);
}

HttpResponse SwitchoverPeer::on_hold(const HttpRequest& request) {
    auto m = switchover::decode_hold(request.body);
    auto now = Clock::now();
    if (holds({}, now) && hold_.hold_id != m.id)
        return conflict(fmt::format("switchover {} already holds this daemon for {} ms more", hold_.hold_id,
                                    std::chrono::duration_cast<Millis>(hold_.hold_until - now).count()));
    if (m.hold_ms == 0) {
        if (!hold_.hold_id.empty())
            log::info("switchover {}: hold released; automatic failover allowed again", hold_.hold_id);
        hold_.hold_id.clear();
    } else {
        if (hold_.hold_id != m.id) log::info("switchover {}: automatic failover held", m.id);
        hold_.hold_id = m.id;
        hold_.hold_until = now + Millis(m.hold_ms);
    }
    hooks_.changed(hold_, false);
    return state();
}

std::optional<HttpResponse> SwitchoverPeer::refuse_step(const std::string& id, const std::string& name,
                                                        bool after_demote) const {
    if (!holds(id, Clock::now()))
        return conflict(fmt::format("switchover {} does not hold this daemon: send /peer/hold first", id));
    if (step_ && step_->state == StepState::running)
        return conflict(fmt::format("the {} step of switchover {} is still running", step_->name, step_->id));
    bool demoted = step_ && step_->id == id && step_->name == "demote" && step_->state == StepState::done;
    if (after_demote && !demoted)
        return conflict(fmt::format("{} needs PostgreSQL stopped by a demote of switchover {} first", name, id));
    return std::nullopt;
}

HttpResponse SwitchoverPeer::on_demote(const HttpRequest& request) {
    auto m = switchover::decode_demote(request.body);
    if (auto refusal = refuse_step(m.id, "demote", false)) return *refusal;
    if (hooks_.status().fenced) return conflict("this node is fenced");
    Millis timeout(m.stop_timeout_ms);
    return start_step(m.id, "demote", [config = config_, timeout] { return demote_step(config, timeout); });
}

HttpResponse SwitchoverPeer::on_rejoin(const HttpRequest& request) {
    auto m = switchover::decode_rejoin(request.body);
    if (auto refusal = refuse_step(m.id, "rejoin", true)) return *refusal;
    auto primary = hooks_.find_node(m.primary_node_id);
    if (!primary) return conflict(fmt::format("node ID {} is not in this node's metadata", m.primary_node_id));
    return start_step(m.id, "rejoin", [config = config_, conninfo = primary->conninfo, allow = m.allow_rewind] {
        return rejoin_step(config, conninfo, allow);
    });
}

HttpResponse SwitchoverPeer::on_resume(const HttpRequest& request) {
    auto m = switchover::decode_resume(request.body);
    if (auto refusal = refuse_step(m.id, "resume", true)) return *refusal;
    return start_step(m.id, "resume", [config = config_] { return resume_step(config); });
}

// The switchover's client promoted this node: its daemon looks at once, so
// that /primary turns 200 as the promotion completes, not on the next round.
// (A fresh round changes nothing else: a replay of this request is harmless.)
HttpResponse SwitchoverPeer::on_promoted(const HttpRequest& request) {
    auto m = switchover::decode_resume(request.body);
    if (!holds(m.id, Clock::now()))
        return conflict(fmt::format("switchover {} does not hold this daemon", m.id));
    hooks_.promoted();
    return state();
}

HttpResponse SwitchoverPeer::start_step(const std::string& id, const std::string& name, std::function<Step()> job) {
    Step running;
    running.id = id;
    running.name = name;
    running.message = name + " running";
    log::info("switchover {}: {} step started", id, name);
    set_step(running, true);
    auto result = std::make_shared<Step>();
    workers_.run([job = std::move(job), result] { *result = job(); },
                 [this, id, name, result] {
                     result->id = id;
                     result->name = name;
                     log::info("switchover {}: {} step {}: {}", id, name, to_string(result->state), result->message);
                     set_step(*result, true);
                 });
    return state();
}

HttpResponse SwitchoverPeer::state() {
    check_service();
    auto seen = hooks_.status();
    auto now = Clock::now();
    switchover::State s;
    s.node_id = config_.node_id;
    s.role = seen.role;
    s.term = seen.term;
    s.paused = seen.paused;
    if (holds({}, now)) {
        s.hold_id = hold_.hold_id;
        s.hold_ms = std::chrono::duration_cast<Millis>(hold_.hold_until - now).count();
    }
    s.service_ready = service_.ready;
    s.service_detail = service_.detail;
    s.step = step_;
    return {200, "application/json", switchover::encode(s)};
}

// The check may run pg_config: on a worker, for the next answer (the first
// right after start-up; again after a reload changed the settings).
void SwitchoverPeer::check_service() {
    auto key = service_key(config_);
    if (service_checking_ || key == service_checked_) return;
    service_checking_ = true;
    if (service_checked_.empty()) service_ = {false, "not checked yet"};
    auto result = std::make_shared<ServiceReadiness>();
    workers_.run([config = config_, result] { *result = service_readiness(config); },
                 [this, result, key] {
                     service_ = *result;
                     service_checked_ = key;
                     service_checking_ = false;
                 });
}

}  // namespace pgha
