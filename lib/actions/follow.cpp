#include "actions/follow.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "actions/connect.hpp"
#include "actions/emit_event.hpp"
#include "actions/replication.hpp"
#include "actions/timeline.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "pg/conninfo.hpp"
#include "probe/probe.hpp"

namespace pgha {
namespace {

struct StandbyPosition {
    int timeline = 0;
    Lsn lsn = 0;
};

// Where the standby's WAL ends (received or replayed, whichever is further) and
// on which timeline: the newest of the WAL receiver's, the control file's and
// the newest history file in pg_wal (a standby that followed a promotion has
// it, even before its first restartpoint on the new timeline).
StandbyPosition standby_position(const pg::Connection& standby) {
    auto row = standby.exec(
        "SELECT greatest(coalesce(pg_last_wal_receive_lsn(), '0/0'::pg_lsn), "
        "                coalesce(pg_last_wal_replay_lsn(), '0/0'::pg_lsn))::text, "
        "       greatest((SELECT received_tli FROM pg_stat_wal_receiver), "
        "                (SELECT timeline_id FROM pg_control_checkpoint()), "
        "                (SELECT min_recovery_end_timeline FROM pg_control_recovery()), "
        "                (SELECT max(('x' || substr(name, 1, 8))::bit(32)::int) FROM pg_ls_waldir() "
        "                  WHERE name ~ '^[0-9A-F]{8}\\.history$'))");
    return {static_cast<int>(row.integer(0, 1).value_or(0)), parse_lsn(row.value(0, 0)).value_or(0)};
}

// ALTER SYSTEM takes no bind parameters: the server quotes the name and value
// itself (format %I/%L), so nothing is spliced on our side.
void alter_system(const pg::Connection& server, const std::string& name, const std::string& value) {
    auto statement = value.empty()
                         ? server.exec("SELECT format('ALTER SYSTEM RESET %I', $1::text)", pg::params(name))
                         : server.exec("SELECT format('ALTER SYSTEM SET %I = %L', $1::text, $2::text)",
                                       pg::params(name, value));
    server.exec_command(statement.value(0, 0));
}


Check timeline_check(const pg::Connection& follower, const pg::Connection& target, const FollowRequest& request) {
    auto position = standby_position(follower);
    auto target_seen = observe(target);
    Check check{fmt::format("{} can follow {} without pg_rewind", describe(request.follower), describe(request.target))};
    if (!target_seen.timeline || !target_seen.lsn) {
        check.detail = "the target's timeline or LSN could not be read";
        return check;
    }
    auto history = timeline_history(request.target.conninfo, request.follower.repluser, *target_seen.timeline);
    auto verdict = can_follow(position.timeline, position.lsn, *target_seen.timeline, *target_seen.lsn, history);
    check.passed = verdict.can_follow;
    check.detail = verdict.reason;
    if (!check.passed) check.hint = request.rejoin_hint;
    return check;
}

pg::Connection open_node(const NodeRecord& node) {
    try {
        return pg::Connection::open(node.conninfo);
    } catch (const pg::ConnectError& error) {
        throw pg::ConnectError(ExitCode::connect,
                               fmt::format("cannot connect to node {} at {}", describe(node),
                                           pg::conninfo_label(node.conninfo)),
                               error.detail(), "check that it is running");
    }
}

// The one registered non-witness node (other than `self`) that runs as a primary.
NodeRecord find_running_primary(const std::vector<NodeRecord>& records, int self) {
    std::vector<NodeRecord> candidates;
    for (const auto& record : records)
        if (record.active && record.type != "witness" && record.node_id != self) candidates.push_back(record);
    auto seen = observe_all(candidates, std::chrono::seconds(5));
    std::vector<NodeRecord> primaries;
    for (std::size_t i = 0; i < candidates.size(); ++i)
        if (seen[i].reachable && !seen[i].in_recovery) primaries.push_back(candidates[i]);
    if (primaries.empty())
        throw refused("no reachable registered node runs as a primary", {},
                      "promote a standby first, or give the upstream with --upstream-node-id");
    if (primaries.size() > 1)
        throw refused(fmt::format("more than one node runs as a primary: {} and {}", describe(primaries[0]),
                                  describe(primaries[1])),
                      {}, "resolve the split first; then give the upstream with --upstream-node-id");
    return primaries.front();
}

NodeRecord chosen_target(const std::vector<NodeRecord>& records, int self, std::optional<int> upstream_node_id) {
    if (!upstream_node_id) return find_running_primary(records, self);
    for (const auto& record : records) {
        if (record.node_id != *upstream_node_id) continue;
        if (record.type == "witness")
            throw refused(fmt::format("node {} is a witness: it is outside replication and cannot be followed",
                                      describe(record)),
                          {}, "give a primary or standby with --upstream-node-id");
        if (record.node_id == self) throw refused("a standby cannot follow itself", {}, "give another node");
        return record;
    }
    throw refused(fmt::format("node ID {} is not registered", *upstream_node_id), {},
                  "list the registered nodes with \"pgha cluster show\"");
}

}  // namespace

FollowOutcome repoint_standby(const pg::Connection& follower, const FollowRequest& request) {
    FollowOutcome outcome;
    outcome.upstream = request.target;
    auto target = open_node(request.target);
    outcome.checks.push_back({fmt::format("{} is reachable", describe(request.target)), true, target.label()});
    outcome.checks.push_back(timeline_check(follower, target, request));
    if (request.dry_run) return outcome;
    throw_first_failure(outcome.checks, "standby follow");

    std::string slot = request.use_slot && request.follower.slot_name ? *request.follower.slot_name : "";
    if (!slot.empty()) ensure_slot(target, slot);
    alter_system(follower, "primary_conninfo",
                 primary_conninfo_for(request.target.conninfo, request.follower.repluser, request.follower.node_name));
    alter_system(follower, "primary_slot_name", slot);
    follower.exec("SELECT pg_reload_conf()");
    auto start = std::chrono::steady_clock::now();
    if (!wait_streaming_from(follower, request.target.conninfo, request.wait, observe(target).timeline))
        throw Error(ExitCode::partial,
                    fmt::format("{} was re-pointed to {} but does not stream from it after {}s", describe(request.follower),
                                describe(request.target), request.wait.count() / 1000),
                    "primary_conninfo is changed and reloaded; the standby keeps retrying",
                    "check the standby's log; \"pgha cluster show\" shows its state");
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    outcome.streaming_after = took;
    outcome.message = fmt::format("{} now streams from {} (no restart; streaming after {} ms)", describe(request.follower),
                                  describe(request.target), took.count());
    return outcome;
}

FollowOutcome follow_standby(const Config& config, const GlobalOptions& options, std::optional<int> upstream_node_id) {
    auto local = connect_local(config);
    if (!in_recovery(local))
        throw refused(fmt::format("this node \"{}\" is not a standby: its server is not in recovery", config.node_name),
                      {}, "to turn a former primary into a standby, stop it and run \"pgha node rejoin\"");
    catalog::require_schema(local);
    auto records = catalog::list_nodes(local);
    auto self = std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.node_id == config.node_id; });
    if (self == records.end())
        throw refused(fmt::format("this node (ID {}) is not registered", config.node_id), {},
                      "register it first with \"pgha standby register\"");

    FollowRequest request;
    request.follower = *self;
    request.target = chosen_target(records, config.node_id, upstream_node_id);
    request.use_slot = config.use_replication_slots;
    request.dry_run = options.dry_run;
    request.rejoin_hint = fmt::format("stop PostgreSQL on this node, then run: pgha -f {} node rejoin -d '{}'",
                                      config.source_path, pg::redact_conninfo(request.target.conninfo));
    auto outcome = repoint_standby(local, request);
    if (options.dry_run) return outcome;

    auto target = open_node(request.target);
    auto primary = in_recovery(target) ? connect_primary(target) : std::move(target);
    catalog::set_standby_of(primary, config.node_id, request.target.node_id);
    auto event = make_event(config, "standby_follow", true, outcome.message);
    event.peer_node_id = request.target.node_id;
    event.new_primary_conninfo = pg::redact_conninfo(request.target.conninfo);
    emit_event(config, &primary, std::move(event));
    return outcome;
}

}  // namespace pgha
