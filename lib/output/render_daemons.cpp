// pgha daemon status: one row per registered node's daemon. A daemon that did
// not answer has only its ID, name and error; its other fields are null/empty.
#include <fmt/format.h>

#include <set>

#include "core/units.hpp"
#include "output/render.hpp"
#include "output/table.hpp"
#include "protocol/json_fields.hpp"

namespace pgha {
namespace {

template <typename T>
json if_running(bool running, const T& value) {
    return running ? json(value) : json(nullptr);
}

// 0 is what an older daemon, which does not report its lease, reads as.
bool reports_lease(const DaemonView& v) { return v.running && v.status.lease_timeout_ms > 0; }

std::string lease_text(const DaemonView& v) {
    return reports_lease(v) ? format_duration(Millis(v.status.lease_timeout_ms)) : "";
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
                       {"lease_timeout_ms", if_running(reports_lease(v), s.lease_timeout_ms)},
                       {"lease_mismatch", if_running(v.running && !s.lease_mismatch.empty(), s.lease_mismatch)},
                       {"error", if_running(!v.running, v.error)}});
    }
    return out;
}

Table daemons_table(const std::vector<DaemonView>& views, bool machine) {
    Table table;
    table.header = machine ? std::vector<std::string>{"node_id", "node_name", "running", "paused", "role", "term",
                                                      "upstream", "last_primary_contact_ms", "fenced",
                                                      "lease_timeout_ms", "lease_mismatch"}
                           : std::vector<std::string>{"ID", "Name", "Daemon", "Paused", "Role", "Term", "Upstream",
                                                      "Last primary contact", "Fenced", "Lease"};
    for (const auto& v : views) {
        const auto& s = v.status;
        auto contact = s.last_primary_contact_ms ? std::to_string(*s.last_primary_contact_ms) : "";
        std::vector<std::string> row{
            std::to_string(v.record.node_id), v.record.node_name,
            machine ? (v.running ? "true" : "false") : (v.running ? "running" : "not running"),
            v.running ? (s.paused ? "true" : "false") : "", v.running ? s.role : "",
            v.running ? std::to_string(s.term) : "", s.upstream.value_or(""),
            machine || contact.empty() ? contact : contact + " ms", v.running ? (s.fenced ? "true" : "false") : ""};
        if (machine) {
            row.push_back(reports_lease(v) ? std::to_string(s.lease_timeout_ms) : "");
            row.push_back(v.running ? s.lease_mismatch : "");
        } else {
            row.push_back(lease_text(v));
        }
        table.rows.push_back(std::move(row));
    }
    return table;
}

}  // namespace

std::optional<std::string> lease_mismatch_warning(const std::vector<DaemonView>& views) {
    std::set<std::int64_t> leases;
    std::vector<std::string> configured;
    for (const auto& v : views)
        if (reports_lease(v)) {
            leases.insert(v.status.lease_timeout_ms);
            configured.push_back(fmt::format("{} {}", v.record.node_name, lease_text(v)));
        }
    std::vector<std::string> found;
    if (leases.size() > 1)
        found.push_back(fmt::format("the daemons' [failover] lease_timeout differs: {}", fmt::join(configured, ", ")));
    for (const auto& v : views)
        if (v.running && !v.status.lease_mismatch.empty())
            found.push_back(fmt::format("the daemon of \"{}\" reports: {}", v.record.node_name, v.status.lease_mismatch));
    if (found.empty()) return std::nullopt;
    return fmt::format("WARNING: {}; each primary counts only the shortest promise of its quorum, so set the same "
                       "lease_timeout on every node and reload pghad (SIGHUP)",
                       fmt::join(found, "; "));
}

std::string render_daemons(const std::vector<DaemonView>& views, OutputFormat format) {
    if (format == OutputFormat::json) return daemons_json(views).dump(2) + "\n";
    if (format == OutputFormat::csv) return render_csv(daemons_table(views, true));
    auto out = render_text(daemons_table(views, false));
    for (const auto& v : views)
        if (!v.running)
            out += fmt::format("WARNING: the daemon of \"{}\" did not answer: {}\n", v.record.node_name, v.error);
    if (auto warning = lease_mismatch_warning(views)) out += *warning + "\n";
    return out;
}

}  // namespace pgha
