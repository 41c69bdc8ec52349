#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "actions/node_check.hpp"
#include "output/render.hpp"

using namespace pgha;

TEST_CASE("thresholds: at or above critical is CRITICAL, at or above warning is WARNING") {
    Thresholds t{100, 200};
    struct Case {
        std::uint64_t value;
        CheckState state;
    };
    for (auto c : {Case{0, CheckState::ok}, Case{99, CheckState::ok}, Case{100, CheckState::warning},
                   Case{199, CheckState::warning}, Case{200, CheckState::critical}, Case{5000, CheckState::critical}}) {
        INFO(c.value);
        CHECK(threshold_state(c.value, t) == c.state);
    }
}

TEST_CASE("the overall state is the worst: CRITICAL > WARNING > UNKNOWN > OK") {
    CHECK(overall_state({}) == CheckState::ok);
    auto r = [](CheckState s) { return CheckResult{CheckKind::role, s, "", ""}; };
    CHECK(overall_state({r(CheckState::ok), r(CheckState::unknown)}) == CheckState::unknown);
    CHECK(overall_state({r(CheckState::unknown), r(CheckState::warning)}) == CheckState::warning);
    CHECK(overall_state({r(CheckState::critical), r(CheckState::warning), r(CheckState::unknown)}) ==
          CheckState::critical);
}

TEST_CASE("human sizes have one decimal and binary units") {
    CHECK(human_size(0) == "0B");
    CHECK(human_size(1023) == "1023B");
    CHECK(human_size(1024) == "1.0kB");
    CHECK(human_size(2202009) == "2.1MB");
    CHECK(human_size(16ULL << 20) == "16.0MB");
    CHECK(human_size(3ULL << 30) == "3.0GB");
}

TEST_CASE("role: a mismatch with the registered type is CRITICAL, a witness must not be in recovery") {
    CHECK(decide_role(std::string("standby"), "standby").state == CheckState::ok);
    CHECK(decide_role(std::string("primary"), "primary").message == "node is primary");
    auto mismatch = decide_role(std::string("primary"), "standby");
    CHECK(mismatch.state == CheckState::critical);
    CHECK(mismatch.message == "node is registered as primary but runs as standby");
    CHECK(decide_role(std::string("witness"), "primary").state == CheckState::ok);
    CHECK(decide_role(std::string("witness"), "standby").state == CheckState::critical);
    CHECK(decide_role(std::nullopt, "standby").state == CheckState::unknown);
}

TEST_CASE("replication lag: thresholds on a standby, OK on a primary, UNKNOWN without the primary") {
    auto lag = decide_replication_lag("standby", 2202009, std::nullopt, default_lag_thresholds);
    CHECK(lag.state == CheckState::ok);
    auto warn = decide_replication_lag("standby", 2202009, std::nullopt, {1 << 20, 64 << 20});
    CHECK(warn.state == CheckState::warning);
    CHECK(warn.message == "lag is 2.1MB");
    CHECK(warn.perfdata == "lag=2202009B;1048576;67108864");
    CHECK(decide_replication_lag("standby", 70 << 20, std::nullopt, default_lag_thresholds).state ==
          CheckState::critical);
    auto primary = decide_replication_lag("primary", std::nullopt, std::nullopt, default_lag_thresholds);
    CHECK(primary.state == CheckState::ok);
    CHECK(primary.message == "primary");
    auto lost = decide_replication_lag("standby", std::nullopt, std::string("cannot connect to the primary"),
                                       default_lag_thresholds);
    CHECK(lost.state == CheckState::unknown);
    CHECK_THAT(lost.message, Catch::Matchers::Contains("cannot connect to the primary"));
}

TEST_CASE("downstream: every registered downstream node must be attached") {
    CHECK(decide_downstream({}, {"stray"}).state == CheckState::ok);
    CHECK(decide_downstream({"node2", "node3"}, {"node3", "node2"}).state == CheckState::ok);
    auto missing = decide_downstream({"node2", "node3", "node4"}, {"node2"});
    CHECK(missing.state == CheckState::critical);
    CHECK(missing.message == "2 of 3 downstream nodes not attached: node3, node4");
}

TEST_CASE("slots: inactive physical slots are CRITICAL and named; logical ones are ignored") {
    CHECK(decide_slots({}).state == CheckState::ok);
    CHECK(decide_slots({{"pgha_slot_2", "physical", true}, {"cdc", "logical", false}}).state == CheckState::ok);
    auto bad = decide_slots({{"pgha_slot_2", "physical", true}, {"pgha_slot_3", "physical", false}});
    CHECK(bad.state == CheckState::critical);
    CHECK_THAT(bad.message, Catch::Matchers::Contains("pgha_slot_3"));
    CHECK_THAT(bad.message, !Catch::Matchers::Contains("pgha_slot_2"));
}

TEST_CASE("archive-ready: counts against thresholds, UNKNOWN when unreadable") {
    CHECK(decide_archive_ready(3, std::nullopt, default_archive_ready_thresholds).state == CheckState::ok);
    CHECK(decide_archive_ready(16, std::nullopt, default_archive_ready_thresholds).state == CheckState::warning);
    auto critical = decide_archive_ready(200, std::nullopt, default_archive_ready_thresholds);
    CHECK(critical.state == CheckState::critical);
    CHECK(critical.perfdata == "ready=200;16;128");
    CHECK(decide_archive_ready(std::nullopt, std::string("permission denied"), default_archive_ready_thresholds)
              .state == CheckState::unknown);
}

TEST_CASE("nagios lines: label, state, one-line message, perfdata") {
    std::vector<CheckResult> results{
        decide_replication_lag("standby", 2202009, std::nullopt, {16 << 20, 64 << 20}),
        {CheckKind::role, CheckState::critical, "cannot connect:\n\tconnection refused | x", ""}};
    CHECK(render_nagios(results) ==
          "PGHA_REPLICATION_LAG OK - lag is 2.1MB | lag=2202009B;16777216;67108864\n"
          "PGHA_ROLE CRITICAL - cannot connect: connection refused / x\n");
}

TEST_CASE("node check --json has check, status, message, perfdata") {
    auto doc = nlohmann::json::parse(
        render_node_checks({decide_slots({{"s", "physical", false}})}, OutputFormat::json));
    REQUIRE(doc.size() == 1);
    CHECK(doc[0]["check"] == "slots");
    CHECK(doc[0]["status"] == "CRITICAL");
    CHECK(doc[0]["perfdata"] == "inactive=1 physical=1");
}
