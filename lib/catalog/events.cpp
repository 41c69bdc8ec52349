#include "catalog/events.hpp"

namespace pgha::catalog {
namespace {
constexpr const char* iso_timestamp =
    "to_char(event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

void record_event(const pg::Connection& connection, Event& event) {
    // An event queued while no primary was writable keeps the time it happened.
    std::optional<std::string> happened;
    if (!event.timestamp.empty()) happened = event.timestamp;
    auto result = connection.exec(
        std::string("INSERT INTO pgha.events (node_id, node_name, event, successful, details, event_timestamp) "
                    "VALUES ($1, $2, $3, $4, $5, coalesce($6::timestamptz, now())) RETURNING ") + iso_timestamp,
        pg::params(event.node_id, event.node_name, event.type, event.successful, event.details, happened));
    event.timestamp = result.value(0, 0);
}

std::vector<Event> list_events(const pg::Connection& connection, const EventFilter& filter) {
    auto result = connection.exec(
        std::string("SELECT node_id, node_name, event, successful, ") + iso_timestamp +
            ", details FROM pgha.events WHERE ($1::text IS NULL OR event = $1) "
            "AND ($2::int IS NULL OR node_id = $2) ORDER BY event_timestamp DESC, event_id DESC LIMIT $3",
        pg::params(filter.event_type, filter.node_id, filter.limit));
    std::vector<Event> events;
    for (int row = 0; row < result.rows(); ++row) {
        Event event;
        event.node_id = static_cast<int>(*result.integer(row, 0));
        event.node_name = result.value(row, 1);
        event.type = result.value(row, 2);
        event.successful = result.boolean(row, 3);
        event.timestamp = result.value(row, 4);
        event.details = result.value(row, 5);
        events.push_back(std::move(event));
    }
    return events;
}

}  // namespace pgha::catalog
