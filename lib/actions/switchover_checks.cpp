#include "actions/switchover_checks.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "actions/daemon_control.hpp"
#include "actions/replication.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "core/units.hpp"
#include "probe/probe.hpp"

namespace pgha {
namespace {

std::optional<std::size_t> index_of(const SwitchoverView& v, int node_id) {
    for (std::size_t i = 0; i < v.records.size(); ++i)
        if (v.records[i].node_id == node_id) return i;
    return std::nullopt;
}

std::string primary_name(const SwitchoverView& v) { return v.primary ? describe(*v.primary) : "the primary"; }

std::string joined(const std::vector<std::string>& items) { return fmt::format("{}", fmt::join(items, "; ")); }

void read_metadata(SwitchoverView& v, const pg::Connection& source) {
    v.records.clear();
    for (auto& record : catalog::list_nodes(source))
        if (record.active) v.records.push_back(std::move(record));
    v.primary = catalog::find_active_primary(source);
    v.cluster_term = catalog::cluster_state(source).term;
}

std::vector<int> node_ids(const SwitchoverView& v) {
    std::vector<int> ids;
    for (const auto& r : v.records) ids.push_back(r.node_id);
    return ids;
}

// A standby's copy of the metadata may lag a moment behind (right after a
// switchover it can still name this node the primary): read it again where it
// is written, on the one node that accepts writes.
void read_metadata_from_primary(SwitchoverView& v) {
    std::vector<std::size_t> writable;
    for (std::size_t i = 0; i < v.records.size(); ++i)
        if (v.seen[i].reachable && !v.seen[i].in_recovery) writable.push_back(i);
    if (writable.size() != 1) return;
    try {
        auto primary = pg::Connection::open(v.records[writable.front()].conninfo);
        auto before = node_ids(v);
        read_metadata(v, primary);
        if (node_ids(v) != before) v.seen = observe_all(v.records, std::chrono::seconds(5));
    } catch (const Error&) {
        // the checks report what cannot be reached
    }
}

void read_candidate(SwitchoverView& v, const pg::Connection& local) {
    auto row = local.exec(
        "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END, "
        "current_setting('max_wal_senders')::int, current_setting('max_replication_slots')::int, "
        "(SELECT count(*) FROM pg_stat_replication)");
    v.in_recovery = row.boolean(0, 0);
    v.replay_paused = row.boolean(0, 1);
    v.max_wal_senders = static_cast<int>(row.integer(0, 2).value_or(0));
    v.max_replication_slots = static_cast<int>(row.integer(0, 3).value_or(0));
    v.wal_senders_in_use = static_cast<int>(row.integer(0, 4).value_or(0));
    auto slots = local.exec("SELECT slot_name FROM pg_replication_slots");
    for (int i = 0; i < slots.rows(); ++i) v.slots.push_back(slots.value(i, 0));

    auto self = index_of(v, v.self.node_id);
    auto primary = v.primary ? index_of(v, v.primary->node_id) : std::nullopt;
    if (!self || !primary || !v.seen[*primary].reachable) return;
    const auto& p = v.seen[*primary];
    v.streams_from_primary = v.in_recovery && streams_from(local, v.primary->conninfo, p.timeline);
    auto primary_end = p.insert_lsn ? p.insert_lsn : p.lsn;
    auto replayed = v.seen[*self].replay_lsn;
    if (primary_end && replayed) v.replay_lag = *primary_end > *replayed ? std::int64_t(*primary_end - *replayed) : 0;
}

void read_primary(SwitchoverView& v) {
    try {
        auto primary = pg::Connection::open(v.primary->conninfo);
        auto row = primary.exec("SELECT current_setting('wal_log_hints')::bool, current_setting('data_checksums')::bool");
        v.wal_log_hints = row.boolean(0, 0);
        v.data_checksums = row.boolean(0, 1);
    } catch (const Error&) {
        // unreachable: the reachability check says so
    }
}

Check candidate_check(const SwitchoverView& v) {
    bool standby = v.self.type == "standby" && v.in_recovery;
    return {fmt::format("{} is a registered standby in recovery", describe(v.self)), standby,
            standby ? "yes" : fmt::format("registered as {}, {}", v.self.type, v.in_recovery ? "in recovery" : "not in recovery"),
            "run \"pgha standby switchover\" on the standby that should become the primary"};
}

Check primary_check(const SwitchoverView& v) {
    Check check{"the registered primary runs and accepts writes"};
    check.hint = "a switchover needs a running primary; when it is down, use \"pgha standby promote\" (or let the "
                 "daemons fail over)";
    if (!v.primary) return check.detail = "no active primary is registered", check;
    auto i = index_of(v, v.primary->node_id);
    check.passed = i && v.seen[*i].reachable && !v.seen[*i].in_recovery && v.primary->node_id != v.self.node_id;
    check.detail = !i || !v.seen[*i].reachable ? fmt::format("{} is unreachable", describe(*v.primary))
                   : v.seen[*i].in_recovery     ? fmt::format("{} is in recovery", describe(*v.primary))
                                                : fmt::format("{} is writable", describe(*v.primary));
    return check;
}

Check nodes_reachable(const SwitchoverView& v) {
    std::vector<std::string> down;
    for (std::size_t i = 0; i < v.records.size(); ++i)
        if (!v.seen[i].reachable) down.push_back(fmt::format("{}: {}", describe(v.records[i]), v.seen[i].error));
    return {"every registered node's PostgreSQL is reachable", down.empty(),
            down.empty() ? fmt::format("{} nodes", v.records.size()) : joined(down),
            "start PostgreSQL there (pgha node service --action=start), or unregister a node that is gone: every "
            "node must be able to follow the new primary"};
}

Check daemons_answer(const SwitchoverView& v) {
    std::vector<std::string> silent;
    for (std::size_t i = 0; i < v.records.size(); ++i)
        if (!v.daemons[i].answered) silent.push_back(fmt::format("{}: {}", describe(v.records[i]), v.daemons[i].error));
    bool ok = v.secret_error.empty() && silent.empty();
    return {"every node's pghad answers signed requests", ok,
            !v.secret_error.empty() ? v.secret_error : ok ? fmt::format("{} daemons", v.records.size()) : joined(silent),
            "start pghad on those nodes, with the same [daemon] secret_file everywhere: the old primary's daemon stops "
            "and restarts its PostgreSQL (no SSH), and every daemon holds automatic failover meanwhile"};
}

Check not_paused(const SwitchoverView& v) {
    std::vector<std::string> paused;
    for (std::size_t i = 0; i < v.records.size(); ++i)
        if (v.daemons[i].answered && v.daemons[i].state.paused) paused.push_back(v.records[i].node_name);
    return {"automatic failover is not paused", paused.empty(),
            paused.empty() ? "not paused" : fmt::format("paused on {}", fmt::join(paused, ", ")),
            "run \"pgha daemon unpause\" first (a switchover holds automatic failover by itself while it runs)"};
}

Check no_other_switchover(const SwitchoverView& v) {
    std::vector<std::string> held;
    for (std::size_t i = 0; i < v.records.size(); ++i)
        if (v.daemons[i].answered && !v.daemons[i].state.hold_id.empty())
            held.push_back(fmt::format("switchover {} holds {} for {} ms more", v.daemons[i].state.hold_id,
                                       v.records[i].node_name, v.daemons[i].state.hold_ms));
    return {"no other switchover is in progress", held.empty(), held.empty() ? "none" : joined(held),
            "wait until it ends; the hold of a command that died runs out by itself within 10 s"};
}

Check streams_check(const SwitchoverView& v) {
    auto i = v.primary ? index_of(v, v.primary->node_id) : std::nullopt;
    int timeline = i ? v.seen[*i].timeline.value_or(0) : 0;
    return {fmt::format("{} streams from {} on its timeline", describe(v.self), primary_name(v)), v.streams_from_primary,
            v.streams_from_primary ? fmt::format("streaming on timeline {}", timeline)
                                   : "its WAL receiver does not stream from the primary on the primary's timeline",
            "wait until it streams (\"pgha node status\"), or re-point it with \"pgha standby follow\""};
}

Check lag_check(const SwitchoverView& v, const SwitchoverLimits& limits) {
    Check check{fmt::format("{} replays WAL, at most {} behind", describe(v.self), format_size(limits.maximum_lag))};
    if (v.replay_paused) {
        check.detail = "WAL replay is paused on this node";
        check.hint = "resume it with \"SELECT pg_wal_replay_resume()\" and let it catch up";
        return check;
    }
    check.passed = v.replay_lag && std::uint64_t(*v.replay_lag) <= limits.maximum_lag;
    check.detail = v.replay_lag ? fmt::format("{} bytes behind", *v.replay_lag) : "the lag cannot be measured";
    check.hint = "wait until it has caught up ([failover] maximum_lag_on_failover sets the limit)";
    return check;
}

Check rejoin_check(const SwitchoverView& v) {
    return {fmt::format("{} can restart as a standby of {} without pg_rewind", primary_name(v), describe(v.self)),
            v.streams_from_primary,
            v.streams_from_primary ? "after a clean shutdown its WAL ends at the shutdown checkpoint, which this node "
                                     "receives before it is promoted"
                                   : "cannot tell: this node does not stream from it on its timeline",
            "make this node stream from the primary first"};
}

Check rewind_check(const SwitchoverView& v, const SwitchoverLimits& limits) {
    bool known = v.wal_log_hints.has_value();
    bool possible = v.wal_log_hints.value_or(false) || v.data_checksums.value_or(false);
    return {fmt::format("pg_rewind would be possible on {} as a fallback", primary_name(v)),
            possible || (known && !limits.force_rewind),
            !known                   ? "unknown: the primary cannot be queried"
            : *v.data_checksums      ? "data checksums are on"
            : *v.wal_log_hints       ? "wal_log_hints is on"
                                     : "no: neither wal_log_hints nor data checksums are on (only needed when the clean "
                                       "handover cannot be confirmed)",
            "set wal_log_hints = on there (takes a restart) before relying on --force-rewind"};
}

Check service_check(const SwitchoverView& v) {
    Check check{fmt::format("the [service] commands of {} can run", primary_name(v))};
    check.hint = "fix [service] stop_command / start_command in that node's configuration and reload its pghad";
    auto i = v.primary ? index_of(v, v.primary->node_id) : std::nullopt;
    if (!i || !v.daemons[*i].answered) return check.detail = "unknown: its daemon did not answer", check;
    check.passed = v.daemons[*i].state.service_ready;
    check.detail = v.daemons[*i].state.service_detail;
    return check;
}

Check senders_check(const SwitchoverView& v) {
    auto needed = static_cast<int>(standbys_after(v).size());
    int free = v.max_wal_senders - v.wal_senders_in_use;
    return {fmt::format("{} has a free WAL sender for each standby it will have", describe(v.self)), free >= needed,
            fmt::format("{} needed, {} free (max_wal_senders = {})", needed, free, v.max_wal_senders),
            "raise max_wal_senders on this node (takes a restart)"};
}

Check slots_check(const SwitchoverView& v) {
    int needed = 0;
    for (const auto& node : standbys_after(v)) {
        auto slot = node.slot_name.value_or(slot_name_for(node.node_id));
        if (std::find(v.slots.begin(), v.slots.end(), slot) == v.slots.end()) ++needed;
    }
    int free = v.max_replication_slots - static_cast<int>(v.slots.size());
    return {fmt::format("{} has a free replication slot for each standby it will have", describe(v.self)),
            free >= needed,
            fmt::format("{} to create, {} free (max_replication_slots = {})", needed, free, v.max_replication_slots),
            "raise max_replication_slots on this node (takes a restart), or drop unused slots"};
}

}  // namespace

std::vector<NodeRecord> standbys_after(const SwitchoverView& v) {
    std::vector<NodeRecord> out;
    for (const auto& r : v.records)
        if (r.node_id != v.self.node_id && r.type != "witness") out.push_back(r);
    return out;
}

SwitchoverView gather_switchover_view(const Config& config, const pg::Connection& local) {
    catalog::require_schema(local);
    SwitchoverView v;
    read_metadata(v, local);
    v.seen = observe_all(v.records, std::chrono::seconds(5));
    read_metadata_from_primary(v);
    auto self = index_of(v, config.node_id);
    if (!self)
        throw refused(fmt::format("this node (ID {}) is not registered as an active node", config.node_id), {},
                      "register it with \"pgha standby register\"");
    v.self = v.records[*self];
    try {
        v.daemons = switchover_states(cluster_secret(config, "a switchover"), v.records);
    } catch (const Error& error) {
        v.secret_error = std::string(error.what()) + "; " + error.hint();
        v.daemons.assign(v.records.size(), DaemonAnswer{false, "the cluster secret is unusable", {}});
    }
    read_candidate(v, local);
    if (v.primary) read_primary(v);
    return v;
}

Checks switchover_checks(const SwitchoverView& v, const SwitchoverLimits& limits) {
    Checks checks{candidate_check(v), primary_check(v),   nodes_reachable(v), daemons_answer(v),
                  not_paused(v),      no_other_switchover(v), streams_check(v),  lag_check(v, limits),
                  rejoin_check(v),    rewind_check(v, limits), service_check(v), senders_check(v)};
    if (limits.use_slots) checks.push_back(slots_check(v));
    return checks;
}

}  // namespace pgha
