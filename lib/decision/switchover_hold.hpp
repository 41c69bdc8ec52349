#pragma once
// What a running `pgha standby switchover` means for a daemon's decisions
// (monitor/switchover_peer.hpp keeps it; the decision core reads it), pure:
// while the hold lasts no election starts and no vote is granted; while a
// step runs on this node's PostgreSQL, or after a demote while the hold
// lasts, a stopped PostgreSQL is no crash: no lease release, no fencing.
#include <optional>
#include <string>

#include "election/lease.hpp"

namespace pgha::decision {

struct SwitchoverHold {
    std::string hold_id;  // empty: no hold
    election::TimePoint hold_until{};
    bool has_step = false;
    std::string step_id;
    std::string step_name;  // demote | rejoin | resume
    bool step_running = false;
    bool step_failed = false;
};

// Whether switchover `id` (any, when empty) holds this daemon at `now`.
bool holds(const SwitchoverHold& hold, const std::string& id, election::TimePoint now);
// Why no election may start now, or nullopt.
std::optional<std::string> hold_reason(const SwitchoverHold& hold, election::TimePoint now);
// Why this node's PostgreSQL belongs to a switchover now, or nullopt.
std::optional<std::string> owns_postgres(const SwitchoverHold& hold, election::TimePoint now);

}  // namespace pgha::decision
