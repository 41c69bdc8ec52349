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
#include "protocol/daemon_status_json.hpp"

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

}  // namespace

DaemonView ask_daemon_status(const NodeRecord& record) {
    DaemonView view{record};
    HttpRequest request;
    request.method = "GET";
    request.path = "/status";
    if (auto response = ask(record, request, view.error)) {
        try {
            view.status = decode_status_json(response->body);
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

}  // namespace pgha
