#include "decision/switchover_hold.hpp"

#include <fmt/format.h>

namespace pgha::decision {

bool holds(const SwitchoverHold& hold, const std::string& id, election::TimePoint now) {
    return !hold.hold_id.empty() && now < hold.hold_until && (id.empty() || id == hold.hold_id);
}

std::optional<std::string> hold_reason(const SwitchoverHold& hold, election::TimePoint now) {
    if (!holds(hold, {}, now)) return std::nullopt;
    auto left = std::chrono::duration_cast<election::Millis>(hold.hold_until - now).count();
    return fmt::format("no action: switchover {} in progress (automatic failover held for {} ms more)", hold.hold_id,
                       left);
}

std::optional<std::string> owns_postgres(const SwitchoverHold& hold, election::TimePoint now) {
    if (!hold.has_step) return std::nullopt;
    if (hold.step_running)
        return fmt::format("no action: switchover {} is running its {} step on this node's PostgreSQL", hold.step_id,
                           hold.step_name);
    bool stopped_on_purpose = !(hold.step_name == "demote" && hold.step_failed);
    if (stopped_on_purpose && holds(hold, hold.step_id, now))
        return fmt::format("no action: PostgreSQL was stopped for switchover {}; waiting for its next step",
                           hold.step_id);
    return std::nullopt;
}

}  // namespace pgha::decision
