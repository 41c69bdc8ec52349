#pragma once
// pgha daemon status | pause | unpause: talk to every node's pghad over HTTP,
// all nodes at once, each bounded by a short timeout. Returns what they said;
// output/render.hpp shows it.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "actions/options.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"
#include "http/message.hpp"
#include "protocol/daemon_status.hpp"

namespace pgha {

struct DaemonView {
    NodeRecord record;
    bool running = false;  // its daemon answered
    std::string error;     // why not
    DaemonStatus status;
};

// One request to a node's pghad at its registered [daemon] listen address:
// the response when it answered 200; else nullopt with `error` saying why
// (no address, no answer, or "HTTP 409: <its reason>").
std::optional<HttpResponse> ask_daemon(const NodeRecord& node, HttpRequest request, std::string& error,
                                       std::chrono::milliseconds timeout);

// The cluster secret from [daemon] secret_file, for signing peer requests;
// throws a usage error naming the setting (`what` needs it) when unusable.
std::string cluster_secret(const Config& config, const std::string& what);

std::vector<DaemonView> daemon_status(const Config& config, const GlobalOptions& options);
// GET /status of one node's daemon (bounded by a short timeout).
DaemonView ask_daemon_status(const NodeRecord& record);

struct PauseOutcome {
    std::vector<std::string> done;    // node names
    std::vector<std::string> failed;  // "node: reason"
};

// Signed POST /peer/pause to every daemon; needs [daemon] secret_file.
PauseOutcome set_paused(const Config& config, const GlobalOptions& options, bool paused);

}  // namespace pgha
