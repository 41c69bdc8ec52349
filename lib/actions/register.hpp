#pragma once
// primary register / standby register / primary unregister / standby unregister.
#include <optional>
#include <string>

#include "actions/options.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"

namespace pgha {

// What a register or unregister did (or, with --dry-run, would do).
struct RegisterOutcome {
    std::string message;                 // to show on success
    NodeRecord node;                     // the node registered or unregistered
    std::optional<NodeRecord> upstream;  // a standby's upstream; a witness's primary
};

// Each throws pgha::Error when it cannot do what it says.
RegisterOutcome register_primary(const Config& config, const GlobalOptions& options);

struct StandbyRegisterOptions {
    std::optional<int> upstream_node_id;
    int wait_start_seconds = 0;
};
RegisterOutcome register_standby(const Config& config, const GlobalOptions& options,
                                 const StandbyRegisterOptions& standby);

// node_id: the node to remove (default: this node).
RegisterOutcome unregister_node(const Config& config, const GlobalOptions& options, const std::string& type,
                                std::optional<int> node_id);

// Builds this node's catalog record from its configuration.
NodeRecord record_from_config(const Config& config, const std::string& type, std::optional<int> upstream);

}  // namespace pgha
