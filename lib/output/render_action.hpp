#pragma once
// The --json object of a verb that changes something (DESIGN.md section 3):
// one object on stdout, success or failure, always with the same keys. Field
// names are a contract: scripts depend on them. cli/report.hpp collects the
// record while the verb runs; this renders it.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "actions/check.hpp"
#include "actions/emit_event.hpp"
#include "cluster/node.hpp"
#include "core/error.hpp"
#include "core/units.hpp"

namespace pgha {

// A node in the output: {"id", "name"}, never its conninfo.
struct NodeRef {
    int id = 0;
    std::string name;
};
NodeRef node_ref(const NodeRecord& record);

// A value of "details": null, true/false, a number, a text, a list of texts,
// a node, a list of nodes.
using DetailValue = std::variant<std::monostate, bool, std::int64_t, std::string, std::vector<std::string>, NodeRef,
                                 std::vector<NodeRef>>;
DetailValue detail_node(const std::optional<NodeRecord>& record);  // null when unset
DetailValue detail_nodes(const std::vector<NodeRecord>& records);

struct ActionRecord {
    std::string command;  // "standby promote"
    bool dry_run = false;
    std::optional<NodeRef> node;         // the node acted on
    std::vector<EmittedEvent> events;    // what it recorded, in order
    std::vector<std::pair<std::string, DetailValue>> details;  // key results, in order
    std::vector<std::string> messages;   // the lines a person would have read
    Checks checks;                       // the preconditions it checked (and, for a dry run, their results)
    std::vector<std::string> plan;       // a dry run: what it would do
    Millis total{0};
    std::vector<std::pair<std::string, Millis>> timings;  // measured by the action, e.g. streaming_s
    std::vector<std::pair<Millis, std::string>> steps;    // timed steps (since the action started)
    std::optional<Error> error;          // set: the verb failed
};

// {"ok", "command", "dry_run", "node", "event", "events", "details", "messages",
//  "checks", "plan", "timings": {"total_s", ..., "steps"}, "error"}; "event" is
// the event named after the command ("standby promote" -> standby_promote)
// when it was emitted, else null; "error" is null or {"message", "detail",
// "hint", "exit_code"} (detail and hint null when not set). Indented, ends in
// a newline.
std::string render_action(const ActionRecord& record);

// The checks as --json prints them: [{"check", "passed", "detail", "hint"}]
// (detail and hint null when not set).
std::string render_checks_json(const Checks& checks);

}  // namespace pgha
