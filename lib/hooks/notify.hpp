#pragma once
#include "config/config.hpp"
#include "hooks/event.hpp"
#include "process/process.hpp"

namespace pgha {

// Runs [events] command for this event if configured and the event type is
// included. Never throws: a failing hook is logged and reported in the result.
// Returns nullopt when no hook ran.
std::optional<ProcessResult> run_event_hook(const EventSettings& settings, const Event& event);

// Hooks that failed (or could not be run) in this process so far: pghad's
// hook_failures metric.
std::uint64_t hook_failure_count();

}  // namespace pgha
