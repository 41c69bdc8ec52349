#include "actions/switchover.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "actions/connect.hpp"
#include "actions/daemon_control.hpp"
#include "actions/emit_event.hpp"
#include "actions/promote.hpp"
#include "actions/replication.hpp"
#include "actions/switchover_checks.hpp"
#include "actions/switchover_client.hpp"
#include "pg/conninfo.hpp"

namespace pgha {
namespace {

using Clock = std::chrono::steady_clock;
using switchover::Step;
using switchover::StepState;

constexpr Millis receive_wait{5000};   // for the shutdown checkpoint to arrive (it normally has already)
constexpr Millis restart_wait{120000};  // for the old primary's rejoin or resume

std::vector<std::string> plan_of(const SwitchoverView& v, const SwitchoverOptions& o) {
    auto old = describe(*v.primary), self = describe(v.self);
    std::vector<std::string> others;
    for (const auto& r : standbys_after(v))
        if (r.node_id != v.primary->node_id) others.push_back(r.node_name);
    std::vector<std::string> plan{
        fmt::format("hold automatic failover on {} daemons", v.records.size()),
        fmt::format("CHECKPOINT on {}, then have its daemon stop it cleanly (within {} s)", old, o.stop_timeout.count() / 1000),
        fmt::format("confirm that {} has received {}'s shutdown checkpoint, then promote it in a new term", self, old),
        fmt::format("have {}'s daemon start it as a standby of {}{}", old, self,
                    o.force_rewind ? " (pg_rewind allowed)" : " (no pg_rewind)")};
    if (!others.empty())
        plan.push_back(o.siblings_follow ? fmt::format("re-point {} to {} without a restart", fmt::join(others, ", "), self)
                                         : fmt::format("leave {} following {} (use --siblings-follow to re-point them)",
                                                       fmt::join(others, ", "), old));
    return plan;
}

class Run {
public:
    Run(const Config& config, const SwitchoverOptions& options, const SwitchoverView& view, const pg::Connection& local)
        : config_(config), options_(options), view_(view), local_(local), old_(*view.primary),
          link_(cluster_secret(config, "a switchover"), view.records) {}

    // Returns the new term; `failures` gets the standbys that could not follow.
    std::int64_t execute(std::vector<std::string>& failures) {
        hold();
        try {
            checkpoint(pg::Connection::open(old_.conninfo));
            say(fmt::format("CHECKPOINT done on {}", describe(old_)));
            confirm_received(demote());
            auto term = promote();
            failures = rejoin_and_follow(term);
            return term;
        } catch (const Error& error) {
            if (error.code() == ExitCode::partial)
                record_failure(fmt::format("switchover {} failed: {}{}", link_.id(), error.what(),
                                           error.detail().empty() ? "" : " (" + error.detail() + ")"));
            throw;
        }
    }

private:
    void say(const std::string& line) {
        options_.progress(std::chrono::duration_cast<Millis>(Clock::now() - start_), line);
    }

    void hold() {
        auto failed = link_.hold();
        if (!failed.empty())
            throw refused("standby switchover refused: automatic failover could not be held on every daemon",
                          fmt::format("{}", fmt::join(failed, "; ")), "nothing was changed; check \"pgha daemon status\"");
        say(fmt::format("switchover {}: automatic failover held on {} daemons", link_.id(), view_.records.size()));
    }

    Step demote() {
        std::string error;
        auto body = switchover::encode(switchover::Demote{link_.id(), options_.stop_timeout.count()});
        if (!link_.send(old_, "/peer/demote", body, error))
            throw refused(fmt::format("standby switchover refused: the daemon of {} did not accept the demotion", describe(old_)),
                          error, "nothing was changed but a checkpoint; check \"pgha daemon status\"");
        auto step = link_.wait_step(old_, "demote", options_.stop_timeout + restart_wait, error);
        if (!step)
            throw Error(ExitCode::partial, fmt::format("lost track of the demotion of {}: {}", describe(old_), error), {},
                        "its PostgreSQL may be stopped: check \"pgha cluster show\"; start it again on that node with "
                        "\"pgha node service --action=start\" if no node is primary");
        if (step->refused)
            throw refused(fmt::format("standby switchover refused: the daemon of {} did not stop it", describe(old_)),
                          step->message, "nothing was changed but a checkpoint; check \"pgha cluster show\"");
        if (step->state == StepState::failed)
            throw Error(ExitCode::partial,
                        fmt::format("switchover aborted: {} did not stop in time: {}", describe(old_), step->message), {},
                        step->running_as_primary
                            ? fmt::format("{} is still the primary; nothing changed but a checkpoint. Find out why it did "
                                          "not stop (its server log, [service] stop_command) or give a longer "
                                          "--stop-timeout, then run the switchover again", describe(old_))
                            : fmt::format("{} is not running: start it on that node with \"pgha node service "
                                          "--action=start\"", describe(old_)));
        say(fmt::format("{}: {}", describe(old_), step->message));
        return *step;
    }

    void confirm_received(const Step& demoted) {
        std::optional<Lsn> received;
        bool clean = demoted.clean && demoted.checkpoint_lsn;
        if (clean && wait_received(*demoted.checkpoint_lsn, received)) {
            say(fmt::format("{} has received and flushed WAL past {}'s shutdown checkpoint at {} (up to {})",
                            describe(view_.self), describe(old_), format_lsn(*demoted.checkpoint_lsn),
                            format_lsn(*received)));
            return;
        }
        auto what = clean ? fmt::format("{} did not receive {}'s shutdown checkpoint at {} within {} s (it has WAL up "
                                        "to {})", describe(view_.self), describe(old_), format_lsn(*demoted.checkpoint_lsn),
                                        receive_wait.count() / 1000, received ? format_lsn(*received) : "?")
                          : fmt::format("the clean shutdown of {} cannot be confirmed", describe(old_));
        if (!options_.force_rewind)
            abandon("switchover aborted: " + what, "nothing was promoted",
                    "find out why (replication from the old primary, its server log); --force-rewind promotes anyway "
                    "and rewinds the old primary, losing the WAL this node lacks");
        say("--force-rewind: promoting although " + what);
    }

    bool wait_received(Lsn checkpoint, std::optional<Lsn>& received) {
        auto deadline = Clock::now() + receive_wait;
        while (true) {
            received = parse_lsn(local_.exec("SELECT pg_last_wal_receive_lsn()::text").value(0, 0));
            if (received && *received > checkpoint) return true;
            if (Clock::now() >= deadline) return false;
            link_.keep_holding();
            std::this_thread::sleep_for(Millis(10));
        }
    }

    std::int64_t promote() {
        auto term = view_.cluster_term;
        for (const auto& d : view_.daemons) term = std::max(term, d.state.term);
        try {
            for (const auto& m : promote_now(config_, local_, view_.records, term + 1, false, "switchover").messages) say(m);
        } catch (const Error& error) {
            bool standby = false;
            try {
                standby = in_recovery(local_);
            } catch (const Error&) {
            }
            if (standby)
                abandon(fmt::format("switchover aborted: the promotion of {} failed: {}", describe(view_.self), error.what()),
                        error.detail(), "fix the cause (this node's server log) and run the switchover again");
            throw Error(ExitCode::partial,
                        fmt::format("the promotion of {} failed part way: {}", describe(view_.self), error.what()),
                        error.detail(),
                        fmt::format("{} is stopped and this node left recovery (or cannot be reached): check \"pgha "
                                    "cluster show\"; once this node accepts writes, run \"pgha node rejoin -d '{}'\" on {}",
                                    describe(old_), pg::redact_conninfo(view_.self.conninfo), old_.node_name));
        }
        // Its daemon looks at once (/primary turns 200 now, not on its next
        // round); one that does not know the request finds out on that round.
        std::string ignored;
        link_.send(view_.self, "/peer/promoted", switchover::encode(switchover::Resume{link_.id()}), ignored);
        return term + 1;
    }

    std::vector<std::string> rejoin_and_follow(std::int64_t term) {
        std::string error;
        auto body = switchover::encode(switchover::Rejoin{link_.id(), view_.self.node_id, options_.force_rewind});
        auto accepted = link_.send(old_, "/peer/rejoin", body, error).has_value();
        PromoteOutcome followed;
        if (options_.siblings_follow) siblings_follow(config_, local_, view_.records, view_.self, followed);
        for (const auto& m : followed.messages) say(m);
        auto rejoined = accepted ? link_.wait_step(old_, "rejoin", restart_wait, error) : std::nullopt;
        link_.release();
        if (!rejoined || rejoined->state != StepState::done)
            throw Error(ExitCode::partial,
                        fmt::format("{} is the primary now, but {} could not rejoin as its standby", describe(view_.self),
                                    describe(old_)),
                        rejoined ? rejoined->message : error,
                        fmt::format("on {}: pgha node rejoin -d '{}' (add --force-rewind when it says pg_rewind is needed)",
                                    old_.node_name, pg::redact_conninfo(view_.self.conninfo)));
        auto event = make_event(config_, "standby_switchover", true,
                                fmt::format("switchover {}: {} is the primary in term {}; {}", link_.id(),
                                            describe(view_.self), term, rejoined->message));
        event.peer_node_id = old_.node_id;
        event.new_primary_conninfo = pg::redact_conninfo(view_.self.conninfo);
        emit_event(config_, &local_, std::move(event));
        say(rejoined->message);
        return followed.failures;
    }

    // The old primary is stopped and this node was not promoted: start it again, then fail.
    [[noreturn]] void abandon(const std::string& what, const std::string& detail, const std::string& hint) {
        std::string error;
        auto accepted = link_.send(old_, "/peer/resume", switchover::encode(switchover::Resume{link_.id()}), error);
        auto resumed = accepted ? link_.wait_step(old_, "resume", restart_wait, error) : std::nullopt;
        bool back = resumed && resumed->state == StepState::done;
        if (resumed) error = resumed->message;
        link_.release();
        auto state = back ? fmt::format("{} was started again as the primary and accepts writes", describe(old_))
                          : fmt::format("{} could not be started again ({}): start it on that node with \"pgha node "
                                        "service --action=start\"", describe(old_), error);
        throw Error(ExitCode::partial, what + "; " + state, detail, hint);
    }

    // Where a primary is writable (the old one, or this node), else the hook only.
    void record_failure(const std::string& details) {
        auto event = make_event(config_, "standby_switchover", false, details);
        event.peer_node_id = old_.node_id;
        for (const auto& conninfo : {old_.conninfo, view_.self.conninfo}) {
            try {
                auto primary = pg::Connection::open(conninfo);
                if (!in_recovery(primary)) return emit_event(config_, &primary, std::move(event));
            } catch (const Error&) {
            }
        }
        emit_event(config_, nullptr, std::move(event));
    }

    const Config& config_;
    const SwitchoverOptions& options_;
    const SwitchoverView& view_;
    const pg::Connection& local_;
    NodeRecord old_;
    SwitchoverLink link_;
    Clock::time_point start_ = Clock::now();
};

}  // namespace

SwitchoverOutcome switchover_standby(const Config& config, const GlobalOptions& options,
                                     const SwitchoverOptions& switchover) {
    auto local = connect_local(config);
    auto view = gather_switchover_view(config, local);
    SwitchoverOutcome outcome;
    outcome.checks = switchover_checks(view, {config.failover.maximum_lag_on_failover, config.use_replication_slots,
                                              switchover.force_rewind});
    outcome.old_primary = view.primary;
    if (options.dry_run) {
        if (view.primary) outcome.plan = plan_of(view, switchover);
        return outcome;
    }
    throw_first_failure(outcome.checks, "standby switchover");
    outcome.term = Run(config, switchover, view, local).execute(outcome.failures);
    return outcome;
}

}  // namespace pgha
