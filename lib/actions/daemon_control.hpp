#pragma once
// pgha daemon status | pause | unpause: talk to every node's pghad over HTTP,
// all nodes at once, each bounded by a short timeout.
#include <string>
#include <vector>

#include "actions/options.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"
#include "monitor/status.hpp"

namespace pgha {

struct DaemonView {
    NodeRecord record;
    bool running = false;  // its daemon answered
    std::string error;     // why not
    DaemonStatus status;
};

std::vector<DaemonView> daemon_status(const Config& config, const GlobalOptions& options);
// GET /status of one node's daemon (bounded by a short timeout).
DaemonView ask_daemon_status(const NodeRecord& record);

struct PauseOutcome {
    std::vector<std::string> done;    // node names
    std::vector<std::string> failed;  // "node: reason"
};

// Signed POST /peer/pause to every daemon; needs [daemon] secret_file.
PauseOutcome set_paused(const Config& config, const GlobalOptions& options, bool paused);

std::string render_daemons(const std::vector<DaemonView>& views, OutputFormat format);

}  // namespace pgha
