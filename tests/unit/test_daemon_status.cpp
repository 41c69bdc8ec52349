// pgha daemon status: the /status JSON read back as it was served, and the
// table, CSV and JSON the command prints from it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "output/render.hpp"
#include "protocol/daemon_status_json.hpp"

using namespace pgha;

namespace {

DaemonView running_daemon(int id, const std::string& role) {
    DaemonView view;
    view.record.node_id = id;
    view.record.node_name = "node" + std::to_string(id);
    view.running = true;
    view.status.node_id = id;
    view.status.node_name = view.record.node_name;
    view.status.role = role;
    view.status.term = 3;
    if (role == "standby") {
        view.status.upstream = "node1";
        view.status.last_primary_contact_ms = 250;
    }
    return view;
}

DaemonView silent_daemon(int id) {
    DaemonView view;
    view.record.node_id = id;
    view.record.node_name = "node" + std::to_string(id);
    view.error = "connection refused";
    return view;
}

}  // namespace

TEST_CASE("the /status JSON reads back as the daemon served it") {
    DaemonStatus sent;
    sent.node_id = 2;
    sent.node_name = "node2";
    sent.role = "standby";
    sent.postgres_up = true;
    sent.streaming = true;
    sent.upstream = "node1";
    sent.term = 7;
    sent.paused = true;
    sent.fenced = true;
    sent.fence_reason = "lease lost";
    sent.role_mismatch = "registered as primary but running as standby";
    sent.lsn = 0x3000148;
    sent.lag_bytes = 1024;
    sent.last_primary_contact_ms = 1500;
    sent.failovers = 2;
    sent.hook_failures = 1;
    sent.last_decision = "no action: following node1";

    auto got = decode_status_json(encode_status_json(sent));
    CHECK(got.node_id == 2);
    CHECK(got.node_name == "node2");
    CHECK(got.role == "standby");
    CHECK(got.postgres_up);
    CHECK(got.streaming);
    CHECK_FALSE(got.writable);
    CHECK(got.upstream == std::optional<std::string>("node1"));
    CHECK(got.term == 7);
    CHECK(got.paused);
    CHECK(got.fenced);
    CHECK(got.fence_reason == "lease lost");
    CHECK(got.role_mismatch == sent.role_mismatch);
    CHECK(got.lsn == sent.lsn);
    CHECK(got.lag_bytes == sent.lag_bytes);
    CHECK(got.last_primary_contact_ms == sent.last_primary_contact_ms);
    CHECK(got.failovers == 2);
    CHECK(got.hook_failures == 1);
    CHECK(got.last_decision == sent.last_decision);
}

TEST_CASE("an older daemon's /status without newer fields reads with defaults; garbage throws") {
    auto got = decode_status_json(R"({"node_id": 1, "node_name": "node1", "role": "primary", "term": 2})");
    CHECK(got.role == "primary");
    CHECK_FALSE(got.upstream);
    CHECK_FALSE(got.lsn);
    CHECK(got.fence_reason.empty());
    CHECK_THROWS(decode_status_json("not json"));
    CHECK_THROWS(decode_status_json("[1, 2]"));
    CHECK_THROWS(decode_status_json(R"({"term": "three"})"));
}

TEST_CASE("daemon status --json has the contract's fields, null for a daemon that did not answer") {
    auto out = nlohmann::json::parse(
        render_daemons({running_daemon(1, "primary"), running_daemon(2, "standby"), silent_daemon(3)},
                       OutputFormat::json));
    REQUIRE(out.size() == 3);
    for (auto key : {"node_id", "node_name", "running", "paused", "role", "term", "upstream",
                     "last_primary_contact_ms", "fenced"})
        for (const auto& row : out) CHECK(row.contains(key));
    CHECK(out[0]["role"] == "primary");
    CHECK(out[0]["upstream"].is_null());
    CHECK(out[0]["error"].is_null());
    CHECK(out[1]["upstream"] == "node1");
    CHECK(out[1]["last_primary_contact_ms"] == 250);
    CHECK(out[2]["running"] == false);
    CHECK(out[2]["role"].is_null());
    CHECK(out[2]["error"] == "connection refused");
}

TEST_CASE("daemon status table warns about a daemon that did not answer; csv does not") {
    std::vector<DaemonView> views{running_daemon(1, "primary"), silent_daemon(3)};
    auto text = render_daemons(views, OutputFormat::table);
    CHECK(text.find("not running") != std::string::npos);
    CHECK(text.find("WARNING: the daemon of \"node3\" did not answer: connection refused") != std::string::npos);
    auto csv = render_daemons(views, OutputFormat::csv);
    CHECK(csv.rfind("node_id,node_name,running,paused,role,term,upstream,last_primary_contact_ms,fenced\n", 0) == 0);
    CHECK(csv.find("1,node1,true,false,primary,3,,,false\n") != std::string::npos);
    CHECK(csv.find("WARNING") == std::string::npos);
}
