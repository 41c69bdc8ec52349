#pragma once
// One event as recorded in pgha.events and passed to the [events] hook.
#include <optional>
#include <string>

namespace pgha {

struct Event {
    int node_id = 0;
    std::string node_name;
    std::string type;  // "standby_register", ...
    bool successful = true;
    std::string timestamp;  // ISO 8601, set when recorded
    std::string details;
    std::optional<int> peer_node_id;
    std::string new_primary_conninfo;  // already redacted
};

}  // namespace pgha
