#include <catch2/catch.hpp>

#include "monitor/facts.hpp"
#include "monitor/witness_schedule.hpp"

using namespace pgha;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

NodeRecord node(int id, const char* type) {
    NodeRecord r;
    r.node_id = id;
    r.node_name = "node" + std::to_string(id);
    r.type = type;
    return r;
}

TickFacts three_nodes() {
    TickFacts facts;
    facts.records = {node(1, "primary"), node(2, "standby"), node(3, "witness")};
    facts.cluster.term = 1;
    facts.cluster.primary_node_id = 1;
    return facts;
}

std::vector<int> ids(const std::vector<NodeRecord>& records) {
    std::vector<int> out;
    for (const auto& r : records) out.push_back(r.node_id);
    return out;
}

const WitnessSchedule::TimePoint t0{};

}  // namespace

TEST_CASE("a witness never copied to is due at once; after a copy only when something changed") {
    WitnessSchedule schedule;
    auto facts = three_nodes();
    auto fingerprint = metadata_fingerprint(facts);
    CHECK(ids(schedule.due(facts.records, fingerprint, t0)) == std::vector<int>{3});
    schedule.copied(3, fingerprint, t0);
    CHECK(schedule.due(facts.records, fingerprint, t0 + seconds(1)).empty());

    SECTION("a node registered later") {
        facts.records.push_back(node(4, "standby"));
    }
    SECTION("a new term and primary after a failover") {
        facts.cluster.term = 2;
        facts.cluster.primary_node_id = 2;
        facts.records[0].active = false;
        facts.records[1].type = "primary";
    }
    SECTION("a standby following another upstream") {
        facts.records[1].upstream_node_id = 1;
    }
    auto changed = metadata_fingerprint(facts);
    CHECK(changed != fingerprint);
    CHECK(schedule.changes(3, changed));
    CHECK(ids(schedule.due(facts.records, changed, t0 + seconds(2))) == std::vector<int>{3});
}

TEST_CASE("an unchanged witness copy is refreshed every period anyway") {
    WitnessSchedule schedule(seconds(30), seconds(5));
    auto facts = three_nodes();
    auto fingerprint = metadata_fingerprint(facts);
    schedule.copied(3, fingerprint, t0);
    CHECK(schedule.due(facts.records, fingerprint, t0 + milliseconds(29999)).empty());
    CHECK(ids(schedule.due(facts.records, fingerprint, t0 + seconds(30))) == std::vector<int>{3});
    CHECK_FALSE(schedule.changes(3, fingerprint));
}

TEST_CASE("after a failed copy the witness is tried again only after the retry delay") {
    WitnessSchedule schedule(seconds(30), seconds(5));
    auto facts = three_nodes();
    auto fingerprint = metadata_fingerprint(facts);
    CHECK(schedule.failed(3, "cannot connect", t0));
    CHECK(schedule.due(facts.records, fingerprint, t0 + seconds(4)).empty());
    CHECK(ids(schedule.due(facts.records, fingerprint, t0 + seconds(5))) == std::vector<int>{3});
    CHECK_FALSE(schedule.failed(3, "cannot connect", t0 + seconds(5)));  // the same error: no new warning
    CHECK(schedule.failed(3, "permission denied", t0 + seconds(10)));
    schedule.copied(3, fingerprint, t0 + seconds(15));
    CHECK(schedule.failed(3, "permission denied", t0 + seconds(50)));  // a success in between: worth saying again
}

TEST_CASE("every witness is scheduled on its own and an unregistered one is forgotten") {
    WitnessSchedule schedule;
    auto facts = three_nodes();
    facts.records.push_back(node(5, "witness"));
    auto fingerprint = metadata_fingerprint(facts);
    schedule.copied(3, fingerprint, t0);
    CHECK(ids(schedule.due(facts.records, fingerprint, t0)) == std::vector<int>{5});
    facts.records.pop_back();
    facts.records.pop_back();
    CHECK(schedule.due(facts.records, fingerprint, t0).empty());
    facts.records.push_back(node(3, "witness"));  // registered again: copied afresh
    CHECK(ids(schedule.due(facts.records, fingerprint, t0)) == std::vector<int>{3});
}
