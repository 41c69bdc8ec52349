#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "output/render_action.hpp"

using namespace pgha;

namespace {

const std::vector<std::string> keys{"ok",     "command", "dry_run", "node", "event",   "events",
                                    "details", "messages", "checks", "plan", "timings", "error"};

// In the order printed.
std::vector<std::string> keys_of(const std::string& text) {
    auto doc = nlohmann::ordered_json::parse(text);
    std::vector<std::string> out;
    for (const auto& item : doc.items()) out.push_back(item.key());
    return out;
}

EmittedEvent emitted(const std::string& type, int node_id, bool recorded) {
    EmittedEvent e;
    e.event.type = type;
    e.event.node_id = node_id;
    e.event.node_name = "node" + std::to_string(node_id);
    e.event.peer_node_id = 1;
    e.event.timestamp = recorded ? "2026-12-03T06:00:00.000Z" : "";
    e.event.details = "done";
    e.event.new_primary_conninfo = "host=a password=Sup3rS3cret";
    e.recorded = recorded;
    return e;
}

}  // namespace

TEST_CASE("an action's success is one object with what was done") {
    ActionRecord record;
    record.command = "standby promote";
    NodeRecord self;
    self.node_id = 2;
    self.node_name = "node2";
    self.conninfo = "host=127.0.0.1 password=Sup3rS3cret";
    record.node = node_ref(self);
    record.events = {emitted("standby_promote", 2, true), emitted("standby_follow", 3, false)};
    record.details = {{"term", std::int64_t{7}}, {"old_primary", detail_node(std::nullopt)},
                      {"siblings_followed", detail_nodes({self})}, {"siblings_failed", std::vector<std::string>{}}};
    record.messages = {"promoted"};
    record.checks = {{"a check", true, "fine", ""}};
    record.total = Millis(1234);
    record.timings = {{"streaming_s", Millis(20)}};
    record.steps = {{Millis(5), "held"}};
    auto text = render_action(record);
    CHECK(text.back() == '\n');
    CHECK(text.find("Sup3rS3cret") == std::string::npos);
    auto doc = nlohmann::json::parse(text);
    CHECK(keys_of(text) == keys);
    CHECK(doc["ok"] == true);
    CHECK(doc["command"] == "standby promote");
    CHECK(doc["dry_run"] == false);
    CHECK(doc["node"] == nlohmann::json{{"id", 2}, {"name", "node2"}});
    CHECK(doc["event"] == "standby_promote");
    REQUIRE(doc["events"].size() == 2);
    CHECK(doc["events"][0]["recorded"] == true);
    CHECK(doc["events"][0]["peer_node_id"] == 1);
    CHECK(doc["events"][1]["event"] == "standby_follow");
    CHECK(doc["events"][1]["timestamp"].is_null());
    CHECK(doc["details"]["term"] == 7);
    CHECK(doc["details"]["old_primary"].is_null());
    CHECK(doc["details"]["siblings_followed"][0]["name"] == "node2");
    CHECK(doc["details"]["siblings_failed"] == nlohmann::json::array());
    CHECK(doc["checks"][0]["hint"].is_null());
    CHECK(doc["checks"][0]["detail"] == "fine");
    CHECK(doc["timings"]["total_s"] == 1.234);
    CHECK(doc["timings"]["streaming_s"] == 0.02);
    CHECK(doc["timings"]["steps"][0] == nlohmann::json{{"at_s", 0.005}, {"step", "held"}});
    CHECK(doc["error"].is_null());
}

TEST_CASE("an action's failure is the same object with the error and its exit code") {
    ActionRecord record;
    record.command = "cluster cleanup";
    record.dry_run = true;
    record.error = Error(ExitCode::refused, "refused: \xff bad byte", "", "do this");
    auto text = render_action(record);
    auto doc = nlohmann::json::parse(text);
    CHECK(keys_of(text) == keys);
    CHECK(doc["ok"] == false);
    CHECK(doc["dry_run"] == true);
    CHECK(doc["node"].is_null());
    CHECK(doc["event"].is_null());
    CHECK(doc["events"] == nlohmann::json::array());
    CHECK(doc["details"] == nlohmann::json::object());
    CHECK(doc["error"]["exit_code"] == 3);
    CHECK(doc["error"]["detail"].is_null());
    CHECK(doc["error"]["hint"] == "do this");
    // a byte that is not UTF-8 (a command's output) is replaced, not an exception
    CHECK(doc["error"]["message"].get<std::string>().rfind("refused: ", 0) == 0);
}

TEST_CASE("the event of an action is the one named after the command, else none") {
    ActionRecord record;
    record.command = "standby switchover";
    record.events = {emitted("standby_promote", 1, true), emitted("standby_switchover", 1, true)};
    CHECK(nlohmann::json::parse(render_action(record))["event"] == "standby_switchover");
    record.command = "daemon pause";
    CHECK(nlohmann::json::parse(render_action(record))["event"].is_null());
}
