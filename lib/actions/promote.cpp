#include "actions/promote.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "actions/connect.hpp"
#include "actions/emit_event.hpp"
#include "actions/follow.hpp"
#include "actions/history_record.hpp"
#include "actions/replication.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "core/log.hpp"
#include "pg/conninfo.hpp"
#include "probe/probe.hpp"

namespace pgha {
namespace {


// What the other registered nodes run as right now.
struct Others {
    std::vector<NodeRecord> records;
    std::vector<NodeObservation> seen;
};

Others observe_others(const std::vector<NodeRecord>& records, int self) {
    Others others;
    for (const auto& record : records)
        if (record.active && record.type != "witness" && record.node_id != self) others.records.push_back(record);
    others.seen = observe_all(others.records, std::chrono::seconds(5));
    return others;
}

Check no_other_primary(const Others& others, bool force) {
    std::vector<std::string> writable;
    for (std::size_t i = 0; i < others.records.size(); ++i)
        if (others.seen[i].reachable && !others.seen[i].in_recovery) writable.push_back(describe(others.records[i]));
    Check check{"no other registered node runs as a writable primary"};
    check.passed = writable.empty() || force;
    check.detail = writable.empty() ? "none found"
                                    : fmt::format("{} still runs as a writable primary{}", fmt::join(writable, ", "),
                                                  force ? "; --force given: promoting anyway" : "");
    check.hint = "promoting now would give two writable primaries: stop the primary first (or use a switchover), "
                 "or use --force if you have fenced it by other means";
    return check;
}

// Promoting a node that lacks WAL another standby has would lose those writes.
Check has_most_wal(const Others& others, const NodeObservation& self, bool force) {
    Check check{"no other standby has received more WAL than this node"};
    std::vector<std::string> ahead;
    for (std::size_t i = 0; i < others.records.size(); ++i) {
        const auto& seen = others.seen[i];
        if (seen.reachable && seen.in_recovery && seen.lsn && self.lsn && *seen.lsn > *self.lsn)
            ahead.push_back(fmt::format("{} at {}", describe(others.records[i]), format_lsn(*seen.lsn)));
    }
    check.passed = ahead.empty() || force;
    check.detail = ahead.empty() ? fmt::format("this node is at {}", self.lsn ? format_lsn(*self.lsn) : "?")
                                 : fmt::format("this node is at {}, but {}{}", self.lsn ? format_lsn(*self.lsn) : "?",
                                               fmt::join(ahead, ", "), force ? "; --force given: promoting anyway" : "");
    check.hint = "promote the standby that has the most WAL instead, or use --force to accept losing the difference";
    return check;
}

void wait_until_writable(const pg::Connection& local) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (in_recovery(local)) {
        if (std::chrono::steady_clock::now() >= deadline)
            throw Error(ExitCode::partial, "promotion was requested but the server is still in recovery after 60 s",
                        {}, "check the server log; run \"pgha cluster show\" to see the state");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace

void siblings_follow(const Config& config, const pg::Connection& primary, const std::vector<NodeRecord>& records,
                     const NodeRecord& self, PromoteOutcome& outcome) {
    for (const auto& sibling : records) {
        if (!sibling.active || sibling.type != "standby" || sibling.node_id == self.node_id) continue;
        try {
            auto connection = pg::Connection::open(sibling.conninfo);
            FollowRequest request;
            request.follower = sibling;
            request.target = self;
            request.use_slot = sibling.slot_name.has_value();
            request.rejoin_hint = fmt::format("stop PostgreSQL on node {}, then run \"pgha node rejoin -d '{}'\" there",
                                              describe(sibling), pg::redact_conninfo(self.conninfo));
            auto followed = repoint_standby(connection, request);
            catalog::set_standby_of(primary, sibling.node_id, self.node_id);
            outcome.messages.push_back(followed.message);
            outcome.followed.push_back(sibling);
            Event event = make_event(config, "standby_follow", true, followed.message);
            event.node_id = sibling.node_id;
            event.node_name = sibling.node_name;
            event.peer_node_id = self.node_id;
            event.new_primary_conninfo = pg::redact_conninfo(self.conninfo);
            emit_event(config, &primary, std::move(event));
        } catch (const Error& error) {
            outcome.failures.push_back(fmt::format("{}: {}{}", describe(sibling), error.what(),
                                                   error.detail().empty() ? "" : " (" + error.detail() + ")"));
        }
    }
}

PromoteOutcome promote_now(const Config& config, const pg::Connection& local, const std::vector<NodeRecord>& records,
                           std::optional<std::int64_t> elected_term, bool siblings, const std::string& reason) {
    auto self = std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.node_id == config.node_id; });
    if (self == records.end())
        throw refused(fmt::format("this node (ID {}) is not registered", config.node_id));
    PromoteOutcome outcome;
    // pg_promote(wait => true) looks only every 100 ms whether promotion has
    // finished: signal, then watch more closely.
    auto promoted = local.exec("SELECT pg_promote(false)");
    if (!promoted.boolean(0, 0))
        throw Error(ExitCode::partial, "pg_promote() could not signal the server to promote", {},
                    "check the server log; the node may still finish promoting — see \"pgha cluster show\"");
    wait_until_writable(local);
    log::info("pg_promote finished: PostgreSQL accepts writes");
    checkpoint(local);  // so pg_control (read by pg_rewind of the old primary) names the new timeline
    try {
        outcome.timeline = writing_timeline(local);
    } catch (const Error& error) {
        log::warning("the new timeline could not be read: {}", error.what());
    }

    std::optional<NodeRecord> old_primary;
    if (auto old = std::find_if(records.begin(), records.end(),
                                [&](const auto& r) { return r.type == "primary" && r.active && r.node_id != self->node_id; });
        old != records.end())
        old_primary = *old;
    local.begin();
    auto term = catalog::record_promotion(local, config.node_id, elected_term);
    local.commit();
    if (outcome.timeline) record_promotion_history(config, local, *outcome.timeline, reason, term, old_primary);
    auto message = fmt::format("{} promoted to primary (term {})", describe(*self), term);
    outcome.messages.push_back(message);
    outcome.term = term;
    outcome.old_primary = old_primary;
    auto event = make_event(config, "standby_promote", true, message);
    if (old_primary) event.peer_node_id = old_primary->node_id;
    event.new_primary_conninfo = pg::redact_conninfo(self->conninfo);
    emit_event(config, &local, std::move(event));

    if (siblings) siblings_follow(config, local, records, *self, outcome);
    return outcome;
}

PromoteOutcome promote_standby(const Config& config, const GlobalOptions& options, const PromoteOptions& promote) {
    auto local = connect_local(config);
    if (!in_recovery(local))
        throw refused(fmt::format("this node \"{}\" is already a primary (not in recovery)", config.node_name), {},
                      "run \"pgha standby promote\" on the standby that should become primary");
    catalog::require_schema(local);
    auto records = catalog::list_nodes(local);
    auto self = std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.node_id == config.node_id; });
    if (self == records.end() || self->type == "witness")
        throw refused(fmt::format("this node (ID {}) is not registered as a standby", config.node_id), {},
                      "register it first with \"pgha standby register\"");

    PromoteOutcome outcome;
    outcome.checks.push_back({fmt::format("{} is a standby", describe(*self)), true, "in recovery"});
    auto others = observe_others(records, config.node_id);
    outcome.checks.push_back(no_other_primary(others, options.force));
    outcome.checks.push_back(has_most_wal(others, observe(local), options.force));
    if (options.dry_run) {
        outcome.messages.push_back(fmt::format(
            "would promote {} with pg_promote(), record it as primary in a new term{}", describe(*self),
            promote.siblings_follow ? ", and re-point the other standbys to it" : ""));
        return outcome;
    }
    throw_first_failure(outcome.checks, "standby promote");

    auto done = promote_now(config, local, records, std::nullopt, promote.siblings_follow, "manual_promote");
    done.checks = std::move(outcome.checks);
    return done;
}

}  // namespace pgha
