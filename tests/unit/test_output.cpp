#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "actions/cluster_show.hpp"
#include "output/render.hpp"
#include "output/table.hpp"

using namespace pgha;

namespace {

NodeRecord node(int id, const std::string& type, std::optional<int> upstream) {
    NodeRecord record;
    record.node_id = id;
    record.node_name = "node" + std::to_string(id);
    record.type = type;
    record.upstream_node_id = upstream;
    record.conninfo = "host=127.0.0.1 port=" + std::to_string(5430 + id) + " user=pgha password=Sup3rS3cret";
    return record;
}

NodeObservation seen(bool in_recovery, Lsn lsn, std::optional<Lsn> replay = std::nullopt) {
    NodeObservation o;
    o.reachable = true;
    o.in_recovery = in_recovery;
    o.lsn = lsn;
    o.replay_lsn = replay;
    o.timeline = 1;
    o.streaming = in_recovery;
    if (in_recovery) {
        o.sender_host = "127.0.0.1";
        o.sender_port = 5431;
    }
    return o;
}

}  // namespace

TEST_CASE("text tables align columns and csv quotes what needs it") {
    Table table{{"ID", "Name"}, {{"1", "node1"}, {"22", "a,\"b\""}}};
    CHECK(render_text(table) == " ID | Name\n----+-------\n 1  | node1\n 22 | a,\"b\"\n");
    CHECK(render_csv(table) == "ID,Name\n1,node1\n22,\"a,\"\"b\"\"\"\n");
}

TEST_CASE("build_views marks unreachable and mismatched nodes and computes lag") {
    std::vector<NodeRecord> records{node(1, "primary", std::nullopt), node(2, "standby", 1), node(3, "standby", 1),
                                    node(4, "standby", 1)};
    NodeObservation down;
    down.error = "connection refused";
    auto views = build_views(records, {seen(false, 1000), seen(true, 1000, 400), down, seen(false, 900)});
    CHECK(views[0].status == "running");
    CHECK(views[0].actual_role == "primary");
    CHECK_FALSE(views[0].lag_bytes);
    CHECK(views[1].status == "running");
    CHECK(views[1].lag_bytes == 600);
    CHECK(views[1].upstream_name == "node1");
    CHECK(views[1].actual_upstream_name == "node1");
    CHECK(views[2].status == "unreachable");
    CHECK_FALSE(views[2].actual_role);
    CHECK(views[3].status == "mismatch");
    CHECK(views[3].actual_role == "primary");
}

TEST_CASE("cluster show --json has the contract's fields and no password") {
    std::vector<NodeRecord> records{node(1, "primary", std::nullopt), node(2, "standby", 1)};
    NodeObservation down;
    down.error = "timeout";
    auto text = render_cluster(build_views(records, {seen(false, 0x3000148), down}), OutputFormat::json);
    CHECK_THAT(text, !Catch::Matchers::Contains("Sup3rS3cret"));
    auto doc = nlohmann::json::parse(text);
    REQUIRE(doc.size() == 2);
    for (auto field : {"node_id", "node_name", "role", "actual_role", "status", "upstream", "location", "priority",
                       "timeline", "lsn", "lag_bytes", "conninfo"})
        CHECK(doc[0].contains(field));
    CHECK(doc[0]["lsn"] == "0/3000148");
    CHECK(doc[0]["upstream"].is_null());
    CHECK(doc[1]["status"] == "unreachable");
    CHECK(doc[1]["actual_role"].is_null());
    CHECK(doc[1]["upstream"] == "node1");
}

TEST_CASE("cluster show csv and table never show a password") {
    std::vector<NodeRecord> records{node(1, "primary", std::nullopt)};
    for (auto format : {OutputFormat::csv, OutputFormat::table}) {
        auto text = render_cluster(build_views(records, {seen(false, 1)}), format);
        CHECK_THAT(text, !Catch::Matchers::Contains("Sup3rS3cret"));
        CHECK_THAT(text, Catch::Matchers::Contains("node1"));
    }
}

TEST_CASE("events render with the contract's json fields") {
    Event event;
    event.node_id = 2;
    event.node_name = "node2";
    event.type = "standby_register";
    event.timestamp = "2026-11-22T10:00:00.000Z";
    event.details = "x";
    auto doc = nlohmann::json::parse(render_events({event}, OutputFormat::json));
    CHECK(doc[0]["node_id"] == 2);
    CHECK(doc[0]["event"] == "standby_register");
    CHECK(doc[0]["successful"] == true);
    CHECK(doc[0]["timestamp"] == "2026-11-22T10:00:00.000Z");
    CHECK(render_events({event}, OutputFormat::csv) ==
          "node_id,node_name,event,successful,timestamp,details\n2,node2,standby_register,true,2026-11-22T10:00:00.000Z,x\n");
}
