#include "output/render_action.hpp"

#include <algorithm>

#include "protocol/json_fields.hpp"

namespace pgha {
namespace {

json node_json(const NodeRef& node) { return {{"id", node.id}, {"name", node.name}}; }

json text_or_null(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

// Seconds with millisecond precision.
json seconds(Millis value) { return static_cast<double>(value.count()) / 1000.0; }

json detail_json(const DetailValue& value) {
    return std::visit(
        [](const auto& v) -> json {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) return nullptr;
            else if constexpr (std::is_same_v<T, NodeRef>) return node_json(v);
            else if constexpr (std::is_same_v<T, std::vector<NodeRef>>) {
                json out = json::array();
                for (const auto& node : v) out.push_back(node_json(node));
                return out;
            } else return json(v);
        },
        value);
}

json checks_json(const Checks& checks) {
    json out = json::array();
    for (const auto& c : checks)
        out.push_back(
            {{"check", c.name}, {"passed", c.passed}, {"detail", text_or_null(c.detail)}, {"hint", text_or_null(c.hint)}});
    return out;
}

json event_json(const EmittedEvent& emitted) {
    const auto& e = emitted.event;
    return {{"event", e.type},
            {"node_id", e.node_id},
            {"node_name", e.node_name},
            {"peer_node_id", or_null(e.peer_node_id)},
            {"successful", e.successful},
            {"recorded", emitted.recorded},
            {"timestamp", text_or_null(e.timestamp)},
            {"details", e.details}};
}

// The event the command is named after, when it emitted it.
json main_event(const ActionRecord& record) {
    auto type = record.command;
    std::replace(type.begin(), type.end(), ' ', '_');
    for (const auto& emitted : record.events)
        if (emitted.event.type == type) return type;
    return nullptr;
}

json timings_json(const ActionRecord& record) {
    json out = {{"total_s", seconds(record.total)}};
    for (const auto& [key, value] : record.timings) out[key] = seconds(value);
    json steps = json::array();
    for (const auto& [at, step] : record.steps) steps.push_back({{"at_s", seconds(at)}, {"step", step}});
    out["steps"] = steps;
    return out;
}

json error_json(const std::optional<Error>& error) {
    if (!error) return nullptr;
    return {{"message", error->what()},
            {"detail", text_or_null(error->detail())},
            {"hint", text_or_null(error->hint())},
            {"exit_code", static_cast<int>(error->code())}};
}

}  // namespace

NodeRef node_ref(const NodeRecord& record) { return {record.node_id, record.node_name}; }

DetailValue detail_node(const std::optional<NodeRecord>& record) {
    if (!record) return std::monostate{};
    return node_ref(*record);
}

DetailValue detail_nodes(const std::vector<NodeRecord>& records) {
    std::vector<NodeRef> refs;
    for (const auto& record : records) refs.push_back(node_ref(record));
    return refs;
}

std::string render_action(const ActionRecord& record) {
    json events = json::array();
    for (const auto& emitted : record.events) events.push_back(event_json(emitted));
    json details = json::object();
    for (const auto& [key, value] : record.details) details[key] = detail_json(value);
    json out = {{"ok", !record.error},
                {"command", record.command},
                {"dry_run", record.dry_run},
                {"node", record.node ? node_json(*record.node) : json(nullptr)},
                {"event", main_event(record)},
                {"events", events},
                {"details", details},
                {"messages", record.messages},
                {"checks", checks_json(record.checks)},
                {"plan", record.plan},
                {"timings", timings_json(record)},
                {"error", error_json(record.error)}};
    // A command's output in a detail (pg_rewind, a start command) need not be UTF-8.
    return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string render_checks_json(const Checks& checks) {
    return checks_json(checks).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace pgha
