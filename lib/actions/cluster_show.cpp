#include "actions/cluster_show.hpp"

#include <algorithm>
#include <future>

#include "actions/connect.hpp"
#include "actions/daemon_control.hpp"
#include "actions/node_lookup.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "pg/conninfo.hpp"
#include "probe/probe.hpp"

namespace pgha {
namespace {

std::optional<std::string> name_of(const std::vector<NodeRecord>& records, std::optional<int> node_id) {
    if (!node_id) return std::nullopt;
    for (const auto& record : records)
        if (record.node_id == *node_id) return record.node_name;
    return std::nullopt;
}

// A node whose PostgreSQL is down may have been stopped by its own daemon
// (fencing): ask those daemons, all at once, so the table can say why.
void mark_fenced(std::vector<NodeView>& views) {
    std::vector<std::pair<NodeView*, std::future<DaemonView>>> asked;
    for (auto& view : views)
        if (view.status == "unreachable" && !view.record.daemon_listen.empty())
            asked.emplace_back(&view, std::async(std::launch::async, ask_daemon_status, view.record));
    for (auto& [view, answer] : asked) {
        auto daemon = answer.get();
        if (!daemon.running || !daemon.status.fenced) continue;
        view->status = "fenced";
        view->fenced_because = daemon.status.last_decision.empty() ? daemon.status.fence_reason
                                                                   : daemon.status.last_decision;
    }
}

}  // namespace

std::vector<NodeView> build_views(const std::vector<NodeRecord>& records,
                                  const std::vector<NodeObservation>& observations) {
    std::optional<Lsn> primary_lsn;
    for (std::size_t i = 0; i < records.size(); ++i)
        if (observations[i].reachable && !observations[i].in_recovery && records[i].type == "primary" &&
            records[i].active)
            primary_lsn = observations[i].insert_lsn ? observations[i].insert_lsn : observations[i].lsn;

    std::vector<NodeView> views;
    for (std::size_t i = 0; i < records.size(); ++i) {
        NodeView view{records[i], observations[i]};
        const auto& seen = view.seen;
        view.upstream_name = name_of(records, records[i].upstream_node_id);
        if (!seen.reachable) {
            view.status = "unreachable";
        } else {
            view.actual_role = seen.in_recovery ? "standby" : "primary";
            // An inactive primary record (a replaced old primary) must not run as a primary.
            bool role_matches = records[i].type == "witness" ? !seen.in_recovery
                                : !records[i].active      ? seen.in_recovery
                                                          : *view.actual_role == records[i].type;
            view.status = role_matches ? "running" : "mismatch";
            if (seen.sender_host && seen.sender_port)
                view.actual_upstream_name = node_name_at(records, *seen.sender_host, std::to_string(*seen.sender_port));
            auto replayed = seen.replay_lsn ? seen.replay_lsn : seen.lsn;
            if (seen.in_recovery && primary_lsn && replayed)
                view.lag_bytes = *primary_lsn > *replayed ? static_cast<std::int64_t>(*primary_lsn - *replayed) : 0;
            else if (!seen.in_recovery)
                view.lag_bytes = std::nullopt;
        }
        views.push_back(std::move(view));
    }
    return views;
}

std::vector<NodeView> show_cluster(const Config& config, const GlobalOptions& options) {
    auto entry = connect_local_or_given(config, options);
    catalog::require_schema(entry);
    auto records = catalog::list_nodes(entry);
    auto observations = observe_all(records, connect_timeout(config.conninfo));
    auto views = build_views(records, observations);
    mark_fenced(views);
    return views;
}

}  // namespace pgha
