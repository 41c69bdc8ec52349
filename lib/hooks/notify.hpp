#pragma once
#include "config/config.hpp"
#include "hooks/event.hpp"
#include "process/process.hpp"

namespace pgha {

// Runs [events] command for this event if configured and the event type is
// included. Never throws: a failing hook is logged and reported in the result.
// Returns nullopt when no hook ran.
std::optional<ProcessResult> run_event_hook(const EventSettings& settings, const Event& event);

}  // namespace pgha
