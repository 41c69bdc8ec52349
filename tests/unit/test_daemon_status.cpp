// pgha daemon status: the /status JSON read back as it was served, and the
// table, CSV and JSON the command prints from it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <functional>

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
    view.status.lease_timeout_ms = 10000;
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
    sent.lease_timeout_ms = 3000;
    sent.lease_mismatch = "node 3 promises 10000 ms";
    sent.tags = {{"dc", "east"}, {"noloadbalance", "true"}};
    sent.last_tick_ms = 250;
    sent.liveness_bound_ms = 4000;

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
    CHECK(got.lease_timeout_ms == 3000);
    CHECK(got.lease_mismatch == "node 3 promises 10000 ms");
    CHECK(got.tags == sent.tags);
    CHECK(got.last_tick_ms == 250);
    CHECK(got.liveness_bound_ms == 4000);
}

TEST_CASE("/status carries the lease setting, and lease_mismatch is null when the voters agree") {
    DaemonStatus status;
    status.lease_timeout_ms = 10000;
    auto j = nlohmann::json::parse(encode_status_json(status));
    CHECK(j["lease_timeout_ms"] == 10000);
    CHECK(j["lease_mismatch"].is_null());
    status.lease_mismatch = "node 2 promises 3000 ms";
    CHECK(nlohmann::json::parse(encode_status_json(status))["lease_mismatch"] == "node 2 promises 3000 ms");
}

TEST_CASE("an older daemon's /status without newer fields reads with defaults; garbage throws") {
    auto got = decode_status_json(R"({"node_id": 1, "node_name": "node1", "role": "primary", "term": 2})");
    CHECK(got.role == "primary");
    CHECK_FALSE(got.upstream);
    CHECK_FALSE(got.lsn);
    CHECK(got.fence_reason.empty());
    CHECK(got.lease_timeout_ms == 0);
    CHECK(got.lease_mismatch.empty());
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
                     "last_primary_contact_ms", "fenced", "lease_timeout_ms", "lease_mismatch"})
        for (const auto& row : out) CHECK(row.contains(key));
    CHECK(out[0]["role"] == "primary");
    CHECK(out[0]["upstream"].is_null());
    CHECK(out[0]["error"].is_null());
    CHECK(out[0]["lease_timeout_ms"] == 10000);
    CHECK(out[0]["lease_mismatch"].is_null());
    CHECK(out[1]["upstream"] == "node1");
    CHECK(out[1]["last_primary_contact_ms"] == 250);
    CHECK(out[2]["running"] == false);
    CHECK(out[2]["role"].is_null());
    CHECK(out[2]["error"] == "connection refused");
    CHECK(out[2]["lease_timeout_ms"].is_null());
}

TEST_CASE("daemon status table warns about a daemon that did not answer; csv does not") {
    std::vector<DaemonView> views{running_daemon(1, "primary"), silent_daemon(3)};
    auto text = render_daemons(views, OutputFormat::table);
    CHECK(text.find("not running") != std::string::npos);
    CHECK(text.find("WARNING: the daemon of \"node3\" did not answer: connection refused") != std::string::npos);
    auto csv = render_daemons(views, OutputFormat::csv);
    CHECK(csv.rfind("node_id,node_name,running,paused,role,term,upstream,last_primary_contact_ms,fenced,"
                    "lease_timeout_ms,lease_mismatch\n",
                    0) == 0);
    CHECK(csv.find("1,node1,true,false,primary,3,,,false,10000,\n") != std::string::npos);
    CHECK(csv.find("3,node3,false,,,,,,,,\n") != std::string::npos);
    CHECK(csv.find("WARNING") == std::string::npos);
}

TEST_CASE("daemon status shows each daemon's lease and warns when they differ") {
    std::vector<DaemonView> views{running_daemon(1, "primary"), running_daemon(2, "standby"),
                                  running_daemon(3, "standby")};
    views[1].status.lease_timeout_ms = 3000;
    auto text = render_daemons(views, OutputFormat::table);
    CHECK_THAT(text, Catch::Matchers::Contains("Lease"));
    CHECK_THAT(text, Catch::Matchers::Contains("10s"));
    CHECK_THAT(text, Catch::Matchers::Contains("3s"));
    CHECK_THAT(text, Catch::Matchers::Contains(
                         "WARNING: the daemons' [failover] lease_timeout differs: node1 10s, node2 3s, node3 10s; "
                         "each primary counts only the shortest promise of its quorum"));
    CHECK(render_daemons(views, OutputFormat::csv).find("WARNING") == std::string::npos);
}

TEST_CASE("a lease mismatch is flagged from the configured values and from what the daemons report") {
    auto agreeing = [] {
        return std::vector<DaemonView>{running_daemon(1, "primary"), running_daemon(2, "standby"), silent_daemon(3)};
    };
    struct Case {
        std::string what;
        std::function<void(std::vector<DaemonView>&)> change;
        std::vector<std::string> expected;  // empty: no warning
    };
    std::vector<Case> cases{
        {"all the same", [](auto&) {}, {}},
        {"a silent daemon is not a mismatch", [](auto& v) { v[2].status.lease_timeout_ms = 3000; }, {}},
        {"an older daemon that reports no lease is not a mismatch", [](auto& v) { v[1].status.lease_timeout_ms = 0; },
         {}},
        {"configured values differ", [](auto& v) { v[1].status.lease_timeout_ms = 1500; },
         {"node1 10s, node2 1500ms", "shortest promise of its quorum", "same lease_timeout on every node"}},
        {"a daemon reports voters that promise other leases",
         [](auto& v) { v[0].status.lease_mismatch = "node 3 promises 3000 ms"; },
         {"the daemon of \"node1\" reports: node 3 promises 3000 ms", "shortest promise of its quorum"}},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        auto views = agreeing();
        c.change(views);
        auto warning = lease_mismatch_warning(views);
        CHECK(warning.has_value() == !c.expected.empty());
        for (const auto& expected : c.expected) CHECK_THAT(warning.value_or(""), Catch::Matchers::Contains(expected));
    }
}
