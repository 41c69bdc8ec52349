#include "output/render.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/lsn.hpp"
#include "protocol/json_fields.hpp"
#include "output/render_action.hpp"
#include "output/table.hpp"
#include "pg/conninfo.hpp"

namespace pgha {
namespace {


std::string text_or(const std::optional<std::string>& value, const std::string& fallback = "") {
    return value ? *value : fallback;
}

template <typename T>
std::string number_or(const std::optional<T>& value) {
    return value ? std::to_string(*value) : "";
}

std::string lsn_text(const std::optional<Lsn>& lsn) { return lsn ? format_lsn(*lsn) : ""; }

json cluster_json(const std::vector<NodeView>& views) {
    json out = json::array();
    for (const auto& v : views) {
        out.push_back({
            {"node_id", v.record.node_id},
            {"node_name", v.record.node_name},
            {"role", v.record.type},
            {"active", v.record.active},
            {"actual_role", or_null(v.actual_role)},
            {"status", v.status},
            {"upstream", or_null(v.upstream_name)},
            {"actual_upstream", or_null(v.actual_upstream_name)},
            {"streaming", v.seen.reachable && v.seen.in_recovery ? json(v.seen.streaming) : json(nullptr)},
            {"location", v.record.location},
            {"priority", v.record.priority},
            {"timeline", or_null(v.seen.timeline)},
            {"lsn", lsn_json(v.seen.lsn)},
            {"lag_bytes", or_null(v.lag_bytes)},
            {"conninfo", pg::redact_conninfo(v.record.conninfo)},
            {"error", v.seen.reachable ? json(nullptr) : json(v.seen.error)},
            {"fenced_because", v.status == "fenced" ? json(v.fenced_because) : json(nullptr)},
        });
    }
    return out;
}

Table cluster_table(const std::vector<NodeView>& views, bool machine) {
    Table table;
    table.header = machine ? std::vector<std::string>{"node_id", "node_name", "role", "actual_role", "status",
                                                      "upstream", "actual_upstream", "streaming", "location",
                                                      "priority", "timeline", "lsn", "lag_bytes", "conninfo"}
                           : std::vector<std::string>{"ID", "Name", "Role", "Status", "Upstream", "Location",
                                                      "Priority", "Timeline", "LSN", "Lag", "Connection string"};
    for (const auto& v : views) {
        auto streaming = v.seen.reachable && v.seen.in_recovery ? (v.seen.streaming ? "true" : "false") : "";
        if (machine) {
            table.rows.push_back({std::to_string(v.record.node_id), v.record.node_name, v.record.type,
                                  text_or(v.actual_role), v.status, text_or(v.upstream_name),
                                  text_or(v.actual_upstream_name), streaming, v.record.location,
                                  std::to_string(v.record.priority), number_or(v.seen.timeline), lsn_text(v.seen.lsn),
                                  number_or(v.lag_bytes), pg::redact_conninfo(v.record.conninfo)});
            continue;
        }
        std::string status = v.status;
        if (v.status == "mismatch") status = fmt::format("! running as {}", *v.actual_role);
        else if (v.status == "unreachable") status = "? unreachable";
        else if (v.status == "fenced") status = "! fenced";
        else if (v.seen.in_recovery && !v.seen.streaming) status = "running (not streaming)";
        std::string lag = v.lag_bytes ? fmt::format("{} bytes", *v.lag_bytes) : (v.seen.reachable ? "" : "n/a");
        auto role = v.record.active ? v.record.type : v.record.type + " (inactive)";
        table.rows.push_back({std::to_string(v.record.node_id), v.record.node_name, role, status,
                              text_or(v.upstream_name), v.record.location, std::to_string(v.record.priority),
                              number_or(v.seen.timeline), lsn_text(v.seen.lsn), lag,
                              pg::redact_conninfo(v.record.conninfo)});
    }
    return table;
}

}  // namespace

std::string render_cluster(const std::vector<NodeView>& views, OutputFormat format) {
    switch (format) {
        case OutputFormat::json: return cluster_json(views).dump(2) + "\n";
        case OutputFormat::csv: return render_csv(cluster_table(views, true));
        case OutputFormat::table: break;
    }
    std::string out = render_text(cluster_table(views, false));
    for (const auto& v : views) {
        if (v.status == "unreachable")
            out += fmt::format("\nWARNING: node \"{}\" (ID {}) is unreachable: {}", v.record.node_name,
                               v.record.node_id, v.seen.error);
        if (v.status == "fenced")
            out += fmt::format("\nWARNING: node \"{}\" (ID {}) is fenced by its daemon: {}", v.record.node_name,
                               v.record.node_id, v.fenced_because);
        if (v.status == "mismatch")
            out += fmt::format("\nWARNING: node \"{}\" (ID {}) is registered as {} but runs as {}",
                               v.record.node_name, v.record.node_id, v.record.type, *v.actual_role);
    }
    if (out.back() != '\n') out += "\n";
    return out;
}

std::string render_events(const std::vector<Event>& events, OutputFormat format) {
    if (format == OutputFormat::json) {
        json out = json::array();
        for (const auto& e : events)
            out.push_back({{"node_id", e.node_id},
                           {"node_name", e.node_name},
                           {"event", e.type},
                           {"successful", e.successful},
                           {"timestamp", e.timestamp},
                           {"details", e.details}});
        return out.dump(2) + "\n";
    }
    bool machine = format == OutputFormat::csv;
    Table table;
    table.header = machine ? std::vector<std::string>{"node_id", "node_name", "event", "successful", "timestamp", "details"}
                           : std::vector<std::string>{"Node ID", "Name", "Event", "OK", "Timestamp", "Details"};
    for (const auto& e : events)
        table.rows.push_back({std::to_string(e.node_id), e.node_name, e.type,
                              machine ? (e.successful ? "true" : "false") : (e.successful ? "t" : "f"), e.timestamp,
                              e.details});
    return machine ? render_csv(table) : render_text(table);
}

std::string render_checks(const Checks& checks, OutputFormat format) {
    if (format == OutputFormat::json) return render_checks_json(checks);
    std::string out;
    for (const auto& c : checks) {
        out += fmt::format("[{}] {}{}\n", c.passed ? "OK" : "FAIL", c.name, c.detail.empty() ? "" : ": " + c.detail);
        if (!c.passed && !c.hint.empty()) out += fmt::format("       HINT: {}\n", c.hint);
    }
    return out;
}

}  // namespace pgha
