#include "config/reload.hpp"

#include <fmt/format.h>

namespace pgha {
namespace {

std::vector<const SettingInfo*> settings_of(ReloadClass reload) {
    std::vector<const SettingInfo*> out;
    for (const auto& setting : config_settings())
        if (setting.reload == reload) out.push_back(&setting);
    return out;
}

// "reload refused, ...: node_id/node_name changed (1 "node1" -> 2 "node2"); ...",
// or "" when every identity key is unchanged.
std::string identity_refusal(const Config& running, const Config& wanted) {
    std::vector<std::string> keys, before, after;
    bool changed = false;
    for (const auto* setting : settings_of(ReloadClass::identity)) {
        keys.push_back(setting->key);
        before.push_back(setting->show(running));
        after.push_back(setting->show(wanted));
        changed = changed || before.back() != after.back();
    }
    if (!changed) return {};
    return fmt::format("reload refused, keeping the old configuration: {} changed ({} -> {}); a node's identity "
                       "changes only with a restart of pghad",
                       fmt::join(keys, "/"), fmt::join(before, " "), fmt::join(after, " "));
}

}  // namespace

ReloadPlan plan_reload(const Config& running, Config wanted) {
    ReloadPlan plan;
    plan.refusal = identity_refusal(running, wanted);
    if (!plan.refusal.empty()) {
        plan.refused = true;
        plan.config = running;
        return plan;
    }
    for (const auto* setting : settings_of(ReloadClass::restart)) {
        auto wanted_value = setting->show(wanted);
        if (wanted_value == setting->show(running)) continue;
        plan.restart_warnings.push_back(
            fmt::format("{} changed to {}: takes effect when pghad restarts", setting->key, wanted_value));
        setting->copy(running, wanted);
    }
    plan.changes = config_changes(running, wanted);
    plan.config = std::move(wanted);
    return plan;
}

}  // namespace pgha
