#pragma once
#include "config/config.hpp"
#include "hooks/event.hpp"
#include "pg/connection.hpp"

namespace pgha {

// Records the event in pgha.events through `writable` (a primary connection, or
// nullptr when none is writable: then only logged), then runs the [events] hook.
// Never throws: an action that succeeded is not failed by its bookkeeping.
void emit_event(const Config& config, const pg::Connection* writable, Event event);

// The recording half of emit_event: true when the event is in pgha.events;
// otherwise logged, with event.timestamp set to now (so it can be queued).
bool record_in_catalog(const pg::Connection* writable, Event& event);

// An event of this node, as configured.
Event make_event(const Config& config, std::string type, bool successful, std::string details);

}  // namespace pgha
