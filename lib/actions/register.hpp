#pragma once
// primary register / standby register / primary unregister / standby unregister.
#include <optional>
#include <string>

#include "actions/options.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"

namespace pgha {

// Each returns the message to show on success; throws pgha::Error otherwise.
std::string register_primary(const Config& config, const GlobalOptions& options);

struct StandbyRegisterOptions {
    std::optional<int> upstream_node_id;
    int wait_start_seconds = 0;
};
std::string register_standby(const Config& config, const GlobalOptions& options,
                             const StandbyRegisterOptions& standby);

// node_id: the node to remove (default: this node).
std::string unregister_node(const Config& config, const GlobalOptions& options, const std::string& type,
                            std::optional<int> node_id);

// Builds this node's catalog record from its configuration.
NodeRecord record_from_config(const Config& config, const std::string& type, std::optional<int> upstream);

}  // namespace pgha
