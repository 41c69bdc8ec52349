#pragma once
// What a SIGHUP does with a freshly loaded configuration, decided from the
// settings table's reload classes. Pure: the daemon logs and applies the plan.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace pgha {

struct ReloadPlan {
    bool refused = false;  // an identity key changed: keep running as before
    std::string refusal;   // the sentence to log when refused
    std::vector<std::string> changes;           // config_changes(running, config): "key: old -> new"
    std::vector<std::string> restart_warnings;  // one sentence per restart-only key that changed
    Config config;  // what to run with: `wanted` with restart-only keys kept; `running` when refused
};

// Refused when an identity key (node_id, node_name) differs. Otherwise each
// restart-only key that differs keeps its running value, with a warning
// ("daemon.listen changed to \"...\": takes effect when pghad restarts"), and
// the remaining differences are listed as config_changes lists them.
ReloadPlan plan_reload(const Config& running, Config wanted);

}  // namespace pgha
