#include "actions/daemon_control.hpp"

#include <fmt/format.h>

#include <future>
#include <nlohmann/json.hpp>

#include "actions/connect.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "core/error.hpp"
#include "http/auth.hpp"
#include "http/client.hpp"
#include "http/listen_address.hpp"
#include "output/table.hpp"

namespace pgha {
namespace {

using json = nlohmann::ordered_json;
constexpr std::chrono::milliseconds daemon_timeout{2000};

std::vector<NodeRecord> registered_nodes(const Config& config, const GlobalOptions& options) {
    auto entry = connect_local_or_given(config, options);
    catalog::require_schema(entry);
    auto records = catalog::list_nodes(entry);
    std::erase_if(records, [](const NodeRecord& r) { return !r.active; });
    return records;
}

}  // namespace

std::optional<HttpResponse> ask_daemon(const NodeRecord& node, HttpRequest request, std::string& error,
                                       std::chrono::milliseconds timeout) {
    auto address = parse_listen_address(node.daemon_listen);
    if (!address) {
        error = node.daemon_listen.empty() ? "no daemon address registered (re-register the node)"
                                           : "invalid daemon address " + node.daemon_listen;
        return std::nullopt;
    }
    auto response = http_request_sync(address->host, address->port, std::move(request), timeout, error);
    if (response && response->status != 200) {
        error = fmt::format("HTTP {}: {}", response->status, response->body);
        return std::nullopt;
    }
    return response;
}

std::string cluster_secret(const Config& config, const std::string& what) {
    if (config.daemon.secret_file.empty())
        throw usage_error("[daemon] secret_file is not set in " + config.source_path,
                          what + " must be signed with the cluster secret: set secret_file to the daemons' file");
    std::string error;
    auto secret = load_secret(config.daemon.secret_file, error);
    if (!secret) throw usage_error("cannot read [daemon] secret_file: " + error);
    return *secret;
}

namespace {

std::optional<HttpResponse> ask(const NodeRecord& node, HttpRequest request, std::string& error) {
    return ask_daemon(node, std::move(request), error, daemon_timeout);
}

DaemonStatus parse_status(const std::string& body) {
    auto doc = nlohmann::json::parse(body);
    DaemonStatus s;
    s.node_id = doc.value("node_id", 0);
    s.node_name = doc.value("node_name", "");
    s.role = doc.value("role", "unknown");
    s.term = doc.value("term", std::int64_t(0));
    s.paused = doc.value("paused", false);
    s.fenced = doc.value("fenced", false);
    if (doc.contains("fence_reason") && doc["fence_reason"].is_string())
        s.fence_reason = doc["fence_reason"].get<std::string>();
    if (doc.contains("upstream") && doc["upstream"].is_string()) s.upstream = doc["upstream"].get<std::string>();
    if (doc.contains("last_primary_contact_ms") && doc["last_primary_contact_ms"].is_number())
        s.last_primary_contact_ms = doc["last_primary_contact_ms"].get<std::int64_t>();
    s.last_decision = doc.value("last_decision", "");
    return s;
}

template <typename T>
json or_null(bool present, const T& value) {
    return present ? json(value) : json(nullptr);
}

}  // namespace

DaemonView ask_daemon_status(const NodeRecord& record) {
    DaemonView view{record};
    HttpRequest request;
    request.method = "GET";
    request.path = "/status";
    if (auto response = ask(record, request, view.error)) {
        try {
            view.status = parse_status(response->body);
            view.running = true;
        } catch (const std::exception& e) {
            view.error = std::string("malformed /status answer: ") + e.what();
        }
    }
    return view;
}

std::vector<DaemonView> daemon_status(const Config& config, const GlobalOptions& options) {
    auto records = registered_nodes(config, options);
    std::vector<std::future<DaemonView>> pending;
    for (const auto& record : records)
        pending.push_back(std::async(std::launch::async, [record] { return ask_daemon_status(record); }));
    std::vector<DaemonView> views;
    for (auto& p : pending) views.push_back(p.get());
    return views;
}

PauseOutcome set_paused(const Config& config, const GlobalOptions& options, bool paused) {
    auto secret = cluster_secret(config, "pause and unpause");
    auto records = registered_nodes(config, options);
    std::vector<std::future<std::pair<std::string, std::string>>> pending;
    for (const auto& record : records)
        pending.push_back(std::async(std::launch::async, [&, record] {
            std::string error;
            auto body = json{{"paused", paused}}.dump();
            ask(record, signed_request("POST", "/peer/pause", body, secret, std::chrono::system_clock::now()), error);
            return std::make_pair(record.node_name, error);
        }));
    PauseOutcome outcome;
    for (auto& p : pending) {
        auto [name, error] = p.get();
        if (error.empty()) outcome.done.push_back(name);
        else outcome.failed.push_back(name + ": " + error);
    }
    return outcome;
}

std::string render_daemons(const std::vector<DaemonView>& views, OutputFormat format) {
    if (format == OutputFormat::json) {
        json out = json::array();
        for (const auto& v : views)
            out.push_back({{"node_id", v.record.node_id},
                           {"node_name", v.record.node_name},
                           {"running", v.running},
                           {"paused", or_null(v.running, v.status.paused)},
                           {"role", or_null(v.running, v.status.role)},
                           {"term", or_null(v.running, v.status.term)},
                           {"upstream", or_null(v.running && v.status.upstream, v.status.upstream.value_or(""))},
                           {"last_primary_contact_ms", or_null(v.running && v.status.last_primary_contact_ms,
                                                               v.status.last_primary_contact_ms.value_or(0))},
                           {"fenced", or_null(v.running, v.status.fenced)},
                           {"error", or_null(!v.running, v.error)}});
        return out.dump(2) + "\n";
    }
    Table table;
    bool machine = format == OutputFormat::csv;
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
    auto out = machine ? render_csv(table) : render_text(table);
    if (!machine)
        for (const auto& v : views)
            if (!v.running) out += fmt::format("WARNING: the daemon of \"{}\" did not answer: {}\n", v.record.node_name, v.error);
    return out;
}

}  // namespace pgha
