#include <catch2/catch.hpp>

#include "actions/switchover_checks.hpp"
#include "actions/switchover_protocol.hpp"
#include "http/router.hpp"

using namespace pgha;

namespace {

NodeRecord node(int id, std::string type) {
    NodeRecord r;
    r.node_id = id;
    r.node_name = "node" + std::to_string(id);
    r.type = std::move(type);
    r.conninfo = "host=127.0.0.1 port=" + std::to_string(5440 + id);
    return r;
}

// node1 primary, node2 (this node) and node3 standbys: everything healthy.
SwitchoverView healthy() {
    SwitchoverView v;
    v.records = {node(1, "primary"), node(2, "standby"), node(3, "standby")};
    v.self = v.records[1];
    v.primary = v.records[0];
    for (std::size_t i = 0; i < 3; ++i) {
        NodeObservation seen;
        seen.reachable = true;
        seen.in_recovery = i != 0;
        seen.timeline = 1;
        v.seen.push_back(seen);
        DaemonAnswer answer;
        answer.answered = true;
        answer.state.service_ready = true;
        v.daemons.push_back(answer);
    }
    v.in_recovery = true;
    v.streams_from_primary = true;
    v.replay_lag = 0;
    v.max_wal_senders = 10;
    v.max_replication_slots = 10;
    v.wal_log_hints = true;
    v.data_checksums = false;
    return v;
}

const SwitchoverLimits limits{16 << 20, true, false};

std::vector<std::string> failed(const Checks& checks) {
    std::vector<std::string> names;
    for (const auto& c : checks)
        if (!c.passed) names.push_back(c.name);
    return names;
}

}  // namespace

TEST_CASE("switchover messages survive encode and decode") {
    switchover::State state;
    state.node_id = 1;
    state.role = "primary";
    state.term = 7;
    state.hold_id = "abc-123";
    state.hold_ms = 9000;
    state.service_ready = true;
    state.service_detail = "stop: pg_ctl (default)";
    switchover::Step step;
    step.id = "abc-123";
    step.name = "demote";
    step.state = switchover::StepState::done;
    step.message = "stopped";
    step.checkpoint_lsn = 0x5000028;
    step.timeline = 3;
    step.clean = true;
    state.step = step;
    auto back = switchover::decode_state(switchover::encode(state));
    CHECK(back.hold_id == "abc-123");
    CHECK(back.term == 7);
    REQUIRE(back.step);
    CHECK(back.step->state == switchover::StepState::done);
    CHECK(back.step->checkpoint_lsn == Lsn(0x5000028));
    CHECK(back.step->clean);
    CHECK_FALSE(back.step->refused);

    auto rejoin = switchover::decode_rejoin(switchover::encode(switchover::Rejoin{"x1", 2, true}));
    CHECK(rejoin.primary_node_id == 2);
    CHECK(rejoin.allow_rewind);
}

TEST_CASE("malformed switchover requests are bad requests") {
    CHECK_THROWS_AS(switchover::decode_hold("{\"id\": \"a b\", \"hold_ms\": 10}"), BadRequest);
    CHECK_THROWS_AS(switchover::decode_hold("{\"id\": \"ok\", \"hold_ms\": -1}"), BadRequest);
    CHECK_THROWS_AS(switchover::decode_demote("{\"id\": \"ok\", \"stop_timeout_ms\": 5}"), BadRequest);
    CHECK_THROWS_AS(switchover::decode_resume("[]"), BadRequest);
    CHECK_THROWS_AS(switchover::decode_rejoin("{\"id\": \"ok\"}"), BadRequest);
}

TEST_CASE("a healthy cluster passes every switchover check") {
    auto checks = switchover_checks(healthy(), limits);
    CHECK(failed(checks).empty());
    CHECK(checks.size() == 13);
}

TEST_CASE("each unhealthy case fails its own check") {
    struct Case {
        const char* what;
        void (*spoil)(SwitchoverView&);
        const char* check;
    };
    const Case cases[] = {
        {"a stopped sibling", [](SwitchoverView& v) { v.seen[2].reachable = false; },
         "every registered node's PostgreSQL is reachable"},
        {"a silent daemon", [](SwitchoverView& v) { v.daemons[2].answered = false; },
         "every node's pghad answers signed requests"},
        {"a paused daemon", [](SwitchoverView& v) { v.daemons[2].state.paused = true; },
         "automatic failover is not paused"},
        {"another switchover", [](SwitchoverView& v) { v.daemons[1].state.hold_id = "other"; },
         "no other switchover is in progress"},
        {"replay paused", [](SwitchoverView& v) { v.replay_paused = true; }, "\"node2\" (ID 2) replays WAL, at most 16MB behind"},
        {"lag", [](SwitchoverView& v) { v.replay_lag = 64 << 20; }, "\"node2\" (ID 2) replays WAL, at most 16MB behind"},
        {"no senders", [](SwitchoverView& v) { v.max_wal_senders = 1; },
         "\"node2\" (ID 2) has a free WAL sender for each standby it will have"},
        {"service", [](SwitchoverView& v) { v.daemons[0].state.service_ready = false; },
         "the [service] commands of \"node1\" (ID 1) can run"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        auto v = healthy();
        c.spoil(v);
        CHECK(failed(switchover_checks(v, limits)) == std::vector<std::string>{c.check});
    }
}

TEST_CASE("pg_rewind without wal_log_hints or checksums fails only with --force-rewind") {
    auto v = healthy();
    v.wal_log_hints = false;
    CHECK(failed(switchover_checks(v, limits)).empty());
    CHECK(failed(switchover_checks(v, {16 << 20, true, true})) ==
          std::vector<std::string>{"pg_rewind would be possible on \"node1\" (ID 1) as a fallback"});
}
