// pgha daemon status: one row per registered node's daemon. A daemon that did
// not answer has only its ID, name and error; its other fields are null/empty.
#include <fmt/format.h>

#include "output/render.hpp"
#include "output/table.hpp"
#include "protocol/json_fields.hpp"

namespace pgha {
namespace {

template <typename T>
json if_running(bool running, const T& value) {
    return running ? json(value) : json(nullptr);
}

json daemons_json(const std::vector<DaemonView>& views) {
    json out = json::array();
    for (const auto& v : views) {
        const auto& s = v.status;
        out.push_back({{"node_id", v.record.node_id},
                       {"node_name", v.record.node_name},
                       {"running", v.running},
                       {"paused", if_running(v.running, s.paused)},
                       {"role", if_running(v.running, s.role)},
                       {"term", if_running(v.running, s.term)},
                       {"upstream", if_running(v.running && s.upstream, s.upstream.value_or(""))},
                       {"last_primary_contact_ms",
                        if_running(v.running && s.last_primary_contact_ms, s.last_primary_contact_ms.value_or(0))},
                       {"fenced", if_running(v.running, s.fenced)},
                       {"error", if_running(!v.running, v.error)}});
    }
    return out;
}

Table daemons_table(const std::vector<DaemonView>& views, bool machine) {
    Table table;
    table.header = machine ? std::vector<std::string>{"node_id", "node_name", "running", "paused", "role", "term",
                                                      "upstream", "last_primary_contact_ms", "fenced"}
                           : std::vector<std::string>{"ID", "Name", "Daemon", "Paused", "Role", "Term", "Upstream",
                                                      "Last primary contact", "Fenced"};
    for (const auto& v : views) {
        const auto& s = v.status;
        auto contact = s.last_primary_contact_ms ? std::to_string(*s.last_primary_contact_ms) : "";
        table.rows.push_back({std::to_string(v.record.node_id), v.record.node_name,
                              machine ? (v.running ? "true" : "false") : (v.running ? "running" : "not running"),
                              v.running ? (s.paused ? "true" : "false") : "", v.running ? s.role : "",
                              v.running ? std::to_string(s.term) : "", s.upstream.value_or(""),
                              machine || contact.empty() ? contact : contact + " ms",
                              v.running ? (s.fenced ? "true" : "false") : ""});
    }
    return table;
}

}  // namespace

std::string render_daemons(const std::vector<DaemonView>& views, OutputFormat format) {
    if (format == OutputFormat::json) return daemons_json(views).dump(2) + "\n";
    if (format == OutputFormat::csv) return render_csv(daemons_table(views, true));
    auto out = render_text(daemons_table(views, false));
    for (const auto& v : views)
        if (!v.running)
            out += fmt::format("WARNING: the daemon of \"{}\" did not answer: {}\n", v.record.node_name, v.error);
    return out;
}

}  // namespace pgha
