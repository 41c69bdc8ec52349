// Output of node status and node check.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/lsn.hpp"
#include "protocol/json_fields.hpp"
#include "output/render.hpp"
#include "output/table.hpp"

namespace pgha {
namespace {


std::string joined(const std::vector<std::string>& words, const std::string& separator = ", ") {
    std::string out;
    for (const auto& word : words) out += (out.empty() ? "" : separator) + word;
    return out;
}

std::vector<std::string> slot_names(const NodeStatus& status, bool active) {
    std::vector<std::string> names;
    for (const auto& slot : status.slots)
        if (slot.active == active) names.push_back(slot.name);
    return names;
}

json status_json(const NodeStatus& s) {
    json slots = json::array();
    for (const auto& slot : s.slots) slots.push_back({{"name", slot.name}, {"type", slot.type}, {"active", slot.active}});
    json downstream = json::array();
    for (const auto& d : s.downstream)
        downstream.push_back({{"application_name", d.application_name},
                              {"client_addr", d.client_addr},
                              {"state", d.state},
                              {"sync_state", d.sync_state}});
    return {
        {"node_id", s.node_id},
        {"node_name", s.node_name},
        {"registered_type", or_null(s.registered_type)},
        {"role", s.role},
        {"timeline", or_null(s.timeline)},
        {"current_lsn", lsn_json(s.current_lsn)},
        {"received_lsn", lsn_json(s.received_lsn)},
        {"replayed_lsn", lsn_json(s.replayed_lsn)},
        {"lag_bytes", or_null(s.lag_bytes)},
        {"lag_error", or_null(s.lag_error)},
        {"replay_delay_seconds", or_null(s.replay_delay_seconds)},
        {"wal_receiver_status", or_null(s.wal_receiver_status)},
        {"upstream", or_null(s.upstream)},
        {"upstream_name", or_null(s.upstream_name)},
        {"slots_active", slot_names(s, true).size()},
        {"slots_inactive", slot_names(s, false).size()},
        {"replication_slots", slots},
        {"archive_mode", s.archive.mode},
        {"archived_count", s.archive.archived_count},
        {"archive_failed_count", s.archive.failed_count},
        {"archive_last_failed_wal", or_null(s.archive.last_failed_wal)},
        {"archive_last_failed_time", or_null(s.archive.last_failed_time)},
        {"archive_ready_count", or_null(s.archive.ready_count)},
        {"pending_restart", s.pending_restart},
        {"downstream", downstream},
    };
}

// Flat key,value pairs for CSV: lists joined with spaces.
std::string status_csv(const NodeStatus& s) {
    Table table{{"key", "value"}, {}};
    const json fields = status_json(s);  // items() only refers to it: keep it alive
    for (const auto& [key, value] : fields.items()) {
        std::string text;
        if (value.is_null()) text = "";
        else if (value.is_string()) text = value.get<std::string>();
        else if (key == "replication_slots") {
            std::vector<std::string> names;
            for (const auto& slot : value) names.push_back(slot["name"].get<std::string>() + (slot["active"].get<bool>() ? ":active" : ":inactive"));
            text = joined(names, " ");
        } else if (key == "downstream") {
            std::vector<std::string> names;
            for (const auto& d : value) names.push_back(d["application_name"].get<std::string>() + ":" + d["state"].get<std::string>());
            text = joined(names, " ");
        } else if (key == "pending_restart") {
            text = joined(value.get<std::vector<std::string>>(), " ");
        } else {
            text = value.dump();
        }
        table.rows.push_back({key, text});
    }
    return render_csv(table);
}

std::string slots_text(const NodeStatus& s) {
    auto active = slot_names(s, true);
    auto inactive = slot_names(s, false);
    auto part = [](const std::vector<std::string>& names, const char* what) {
        return names.empty() ? fmt::format("0 {}", what)
                             : fmt::format("{} {} ({})", names.size(), what, joined(names));
    };
    return part(active, "active") + ", " + part(inactive, "inactive");
}

std::string status_text(const NodeStatus& s) {
    std::vector<std::pair<std::string, std::string>> lines;
    auto add = [&](std::string key, std::string value) { lines.emplace_back(std::move(key), std::move(value)); };
    add("node", fmt::format("\"{}\" (ID {})", s.node_name, s.node_id));
    add("registered type", s.registered_type.value_or("not registered"));
    add("role", s.role);
    add("timeline", s.timeline ? std::to_string(*s.timeline) : "unknown");
    if (s.role == "primary") {
        add("current LSN", s.current_lsn ? format_lsn(*s.current_lsn) : "unknown");
    } else {
        add("received LSN", s.received_lsn ? format_lsn(*s.received_lsn) : "none");
        add("replayed LSN", s.replayed_lsn ? format_lsn(*s.replayed_lsn) : "none");
        add("lag", s.lag_bytes ? fmt::format("{} bytes", *s.lag_bytes) : "unknown (" + s.lag_error.value_or("") + ")");
        add("replay delay", s.replay_delay_seconds ? fmt::format("{:.1f} s", *s.replay_delay_seconds) : "unknown");
        add("WAL receiver", s.wal_receiver_status.value_or("not running"));
        std::string upstream = "none";
        if (s.upstream) upstream = s.upstream_name ? fmt::format("{} ({})", *s.upstream_name, *s.upstream) : *s.upstream;
        add("upstream", upstream);
    }
    add("replication slots", slots_text(s));
    add("archive mode", s.archive.mode);
    add("archived WAL files", fmt::format("{} (failed: {}{})", s.archive.archived_count, s.archive.failed_count,
                                          s.archive.last_failed_wal
                                              ? fmt::format(", last failure: {} at {}", *s.archive.last_failed_wal,
                                                            s.archive.last_failed_time.value_or("?"))
                                              : ""));
    add("WAL files ready to archive",
        s.archive.ready_count ? std::to_string(*s.archive.ready_count)
                              : "unknown (" + s.archive.ready_error.value_or("") + ")");
    add("pending restart", s.pending_restart.empty() ? "none" : joined(s.pending_restart));
    std::vector<std::string> downstream;
    for (const auto& d : s.downstream) downstream.push_back(fmt::format("{} ({})", d.application_name, d.state));
    add("downstream standbys",
        downstream.empty() ? "0" : fmt::format("{}: {}", downstream.size(), joined(downstream)));
    std::string out;
    for (const auto& [key, value] : lines) out += key + ": " + value + "\n";
    return out;
}

// Nagios reads one line per check and takes "|" as the start of perfdata.
std::string one_line(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|') c = '/';
        if (c == '\n' || c == '\t' || c == '\r') c = ' ';
        if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
        out += c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

}  // namespace

std::string render_node_status(const NodeStatus& status, OutputFormat format) {
    switch (format) {
        case OutputFormat::json: return status_json(status).dump(2) + "\n";
        case OutputFormat::csv: return status_csv(status);
        case OutputFormat::table: break;
    }
    return status_text(status);
}

std::string render_node_checks(const std::vector<CheckResult>& results, OutputFormat format) {
    if (format == OutputFormat::json) {
        json out = json::array();
        for (const auto& r : results)
            out.push_back({{"check", check_name(r.kind)},
                           {"status", to_string(r.state)},
                           {"message", r.message},
                           {"perfdata", r.perfdata.empty() ? json(nullptr) : json(r.perfdata)}});
        return out.dump(2) + "\n";
    }
    if (format == OutputFormat::csv) {
        Table table{{"check", "status", "message", "perfdata"}, {}};
        for (const auto& r : results) table.rows.push_back({check_name(r.kind), to_string(r.state), r.message, r.perfdata});
        return render_csv(table);
    }
    std::string out;
    for (const auto& r : results) out += fmt::format("{}: {} - {}\n", check_name(r.kind), to_string(r.state), r.message);
    return out;
}

std::string render_nagios(const std::vector<CheckResult>& results) {
    std::string out;
    for (const auto& r : results)
        out += fmt::format("{} {} - {}{}\n", nagios_label(r.kind), to_string(r.state), one_line(r.message),
                           r.perfdata.empty() ? "" : " | " + r.perfdata);
    return out;
}

}  // namespace pgha
