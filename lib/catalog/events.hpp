#pragma once
// pgha.events: the event history.
#include <optional>
#include <string>
#include <vector>

#include "hooks/event.hpp"
#include "pg/connection.hpp"

namespace pgha::catalog {

// Inserts the event at event.timestamp when set (a queued event), else now;
// fills event.timestamp from the server.
void record_event(const pg::Connection& connection, Event& event);

struct EventFilter {
    int limit = 20;
    std::optional<std::string> event_type;
    std::optional<int> node_id;
};
// Newest first.
std::vector<Event> list_events(const pg::Connection& connection, const EventFilter& filter);

}  // namespace pgha::catalog
