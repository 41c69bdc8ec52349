// What pghad detects between monitoring rounds (decision core entry
// on_detected, the release's postmaster_exited flag), and the deadline that
// bounds a monitoring connection whatever the conninfo says.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "decision/core.hpp"
#include "pg/connection.hpp"
#include "protocol/peer_messages.hpp"

using namespace pgha;
using namespace pgha::decision;
using namespace std::chrono_literals;

namespace {

const TimePoint t0{};

Facts round_facts(bool local_primary, bool primary_writable) {
    Facts f;
    f.local = {true, !local_primary, Lsn(1000), {}};
    f.metadata_read = true;
    f.members = {{1, false, 100, true}, {2, false, 100, true}, {3, false, 100, true}};
    f.cluster_term = 1;
    f.cluster_primary = 1;
    f.primary_writable = primary_writable;
    return f;
}

struct Node {
    Core core;
    explicit Node(int id) : core(settings(id), {}, [](const Durable&) {}, t0) {}
    static Settings settings(int id) {
        Settings s;
        s.node_id = id;
        return s;  // defaults: 1 s interval, 3 x 1 s, lease 10 s
    }
    // One monitoring round at `now` that found `facts`.
    Effects round(const Facts& facts, TimePoint now) {
        auto tick = core.on_tick(now);
        REQUIRE(tick.gather);
        return core.on_facts(facts, *tick.gather, now);
    }
};

bool surveys(const Effects& fx) {
    for (const auto& b : fx.broadcasts)
        if (b.call == Call::state_for_election) return true;
    return false;
}

const peer::Release* release_in(const Effects& fx) {
    for (const auto& b : fx.broadcasts)
        if (const auto* r = std::get_if<peer::Release>(&b.message)) return r;
    return nullptr;
}

// A standby of node 1 (term 1) that acknowledged its heartbeat.
Node standby_of_node_1() {
    Node n(2);
    n.round(round_facts(false, true), t0);
    auto [reply, fx] = n.core.on_heartbeat({1, 1, 1}, t0 + 10ms);
    REQUIRE(reply.granted);
    return n;
}

}  // namespace

TEST_CASE("a release after the postmaster crashed lets a standby stand at once; any other waits the threshold") {
    SECTION("postmaster exited") {
        auto n = standby_of_node_1();
        auto [reply, fx] = n.core.on_release({1, 1, true}, t0 + 100ms);
        CHECK(reply.granted);
        CHECK(fx.tick_in == 0ms);
        auto next = n.round(round_facts(false, false), t0 + 110ms);
        CHECK(surveys(next));
    }
    SECTION("PostgreSQL found down by a round") {
        auto n = standby_of_node_1();
        n.core.on_release({1, 1, false}, t0 + 100ms);
        auto next = n.round(round_facts(false, false), t0 + 110ms);
        CHECK_FALSE(surveys(next));
        CHECK(n.core.status().last_decision.rfind("waiting: primary lost for", 0) == 0);
    }
    SECTION("from a node that does not lead this voter's term: ignored") {
        auto n = standby_of_node_1();
        n.core.on_release({1, 3, true}, t0 + 100ms);
        auto next = n.round(round_facts(false, false), t0 + 110ms);
        CHECK_FALSE(surveys(next));
    }
}

TEST_CASE("the released primary's view is dropped at once: peers are not told it is still seen") {
    auto n = standby_of_node_1();
    CHECK(n.core.on_state_request(t0 + 50ms).sees_primary);
    n.core.on_release({1, 1, true}, t0 + 100ms);
    CHECK_FALSE(n.core.on_state_request(t0 + 100ms).sees_primary);
}

TEST_CASE("a primary's daemon releases its lease the moment its postmaster exits") {
    Node primary(1);
    primary.round(round_facts(true, true), t0);
    SECTION("after a crash: flagged, so the standbys need not wait") {
        auto fx = primary.core.on_detected(Detected::postmaster_crashed, t0 + 200ms);
        const auto* release = release_in(fx);
        REQUIRE(release);
        CHECK(release->term == 1);
        CHECK(release->postmaster_exited);
        CHECK_FALSE(primary.core.status().writable);
        CHECK_FALSE(primary.core.lease());
    }
    SECTION("after a clean shutdown (a planned restart): nothing released, the lease runs out by itself") {
        auto fx = primary.core.on_detected(Detected::postmaster_stopped, t0 + 200ms);
        CHECK_FALSE(release_in(fx));
        auto tick = primary.core.on_tick(t0 + 210ms);
        REQUIRE(tick.gather);
        Facts down = round_facts(true, false);
        down.local = {};
        CHECK_FALSE(release_in(primary.core.on_facts(down, *tick.gather, t0 + 220ms)));
    }
    SECTION("found down by a round, without a clean shutdown seen: released, not flagged") {
        auto tick = primary.core.on_tick(t0 + 210ms);
        Facts down = round_facts(true, false);
        down.local = {};
        auto fx = primary.core.on_facts(down, *tick.gather, t0 + 220ms);
        const auto* release = release_in(fx);
        REQUIRE(release);
        CHECK_FALSE(release->postmaster_exited);
        // The pidfd's news arrives just after: released again, flagged this time.
        auto later = primary.core.on_detected(Detected::postmaster_crashed, t0 + 230ms);
        REQUIRE(release_in(later));
        CHECK(release_in(later)->postmaster_exited);
        CHECK_FALSE(release_in(primary.core.on_detected(Detected::postmaster_crashed, t0 + 240ms)));
    }
    SECTION("while a switchover step stops it: nothing is released") {
        SwitchoverHold hold;
        hold.hold_id = "s1";
        hold.hold_until = t0 + 10s;
        hold.has_step = true;
        hold.step_id = "s1";
        hold.step_name = "demote";
        hold.step_running = true;
        primary.core.on_switchover(hold, true, t0 + 100ms);
        auto fx = primary.core.on_detected(Detected::postmaster_stopped, t0 + 200ms);
        CHECK_FALSE(release_in(fx));
    }
}

TEST_CASE("a standby's own postmaster or a broken upstream connection only brings the next round forward") {
    auto n = standby_of_node_1();
    auto fx = n.core.on_detected(Detected::upstream_lost, t0 + 100ms);
    CHECK(fx.tick_in == 0ms);
    CHECK(fx.broadcasts.empty());
    fx = n.core.on_detected(Detected::postmaster_crashed, t0 + 120ms);
    CHECK(fx.broadcasts.empty());
}

TEST_CASE("the release's postmaster_exited flag survives the wire, and is false when an older daemon omits it") {
    auto decoded = peer::decode_release(peer::encode(peer::Release{4, 2, true}));
    CHECK(decoded.term == 4);
    CHECK(decoded.leader_id == 2);
    CHECK(decoded.postmaster_exited);
    CHECK_FALSE(peer::decode_release(R"({"term": 4, "leader_id": 2})").postmaster_exited);
}

TEST_CASE("a monitoring connection gives up at its deadline, not at the conninfo's connect_timeout") {
    // A listener that never answers: the kernel completes the handshake, the
    // startup packet is never answered (a server that hangs or a black hole).
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listener >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener, 4) == 0);
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    auto conninfo = "host=127.0.0.1 port=" + std::to_string(ntohs(address.sin_port)) +
                    " user=nobody dbname=nothing connect_timeout=30";
    auto started = std::chrono::steady_clock::now();
    try {
        pg::Connection::open(conninfo, {.deadline = 300ms});
        FAIL("connected to a listener that never answers");
    } catch (const pg::ConnectError& error) {
        CHECK(std::string(error.detail()).find("no answer within 300 ms") != std::string::npos);
    }
    auto took = std::chrono::steady_clock::now() - started;
    ::close(listener);
    CHECK(took >= 300ms);
    CHECK(took < 10s);  // connect_timeout=30 would have waited 30 s
}

TEST_CASE("the winner of an election is told the newest timeline its voters know, to start a newer one") {
    auto n = standby_of_node_1();
    n.core.on_release({1, 1, true}, t0 + 100ms);
    auto survey = n.round(round_facts(false, false), t0 + 110ms);
    REQUIRE(survey.broadcasts.size() == 1);
    const auto& asked = survey.broadcasts.front();
    Effects votes;
    for (int peer : asked.targets) {
        peer::State state{peer, peer == 1 ? "unknown" : "standby", false, peer == 1 ? std::nullopt : std::optional<Lsn>(900),
                          100, 1, false, false};
        auto fx = n.core.on_answer(asked.call_id, peer, Answer{state}, t0 + 120ms);
        for (auto& b : fx.broadcasts) votes.broadcasts.push_back(b);
    }
    REQUIRE(votes.broadcasts.size() == 1);
    REQUIRE(votes.broadcasts.front().call == Call::vote);
    const auto& ballot = votes.broadcasts.front();
    std::optional<Job> promote;
    for (int peer : ballot.targets) {
        // Node 1, the old primary, was promoted on timeline 7 by an unfence that node 2 never received.
        peer::Reply reply{true, 2, peer, "granted", 10000, peer == 1 ? 7 : 3};
        auto fx = n.core.on_answer(ballot.call_id, peer, Answer{reply}, t0 + 130ms);
        for (auto& job : fx.jobs)
            if (job.kind == JobKind::promote) promote = job;
    }
    REQUIRE(promote);
    CHECK(promote->term == 2);
    CHECK(promote->timeline_floor == 7);
    auto decoded = peer::decode_reply(peer::encode(peer::Reply{true, 2, 1, "granted", 10000, 7}));
    CHECK(decoded.newest_timeline == 7);
    CHECK(peer::decode_reply(R"({"granted": true, "term": 2, "node_id": 1})").newest_timeline == 0);
}

namespace {

// Node 2 wins term 2 after node 1 released its lease; the promote job it was given.
Job won_promotion(Node& n, TimePoint at) {
    n.core.on_release({1, 1, true}, at);
    auto survey = n.round(round_facts(false, false), at + 10ms);
    REQUIRE(survey.broadcasts.size() == 1);
    Effects votes;
    for (int peer : survey.broadcasts.front().targets) {
        peer::State state{peer, peer == 1 ? "unknown" : "standby", false, peer == 1 ? std::nullopt : std::optional<Lsn>(900),
                          100, 1, false, false};
        auto fx = n.core.on_answer(survey.broadcasts.front().call_id, peer, Answer{state}, at + 20ms);
        for (auto& b : fx.broadcasts) votes.broadcasts.push_back(b);
    }
    REQUIRE(votes.broadcasts.size() == 1);
    std::optional<Job> promote;
    for (int peer : votes.broadcasts.front().targets) {
        auto fx = n.core.on_answer(votes.broadcasts.front().call_id, peer,
                                   Answer{peer::Reply{true, 2, peer, "granted", 3000, 3}}, at + 30ms);
        for (auto& job : fx.jobs)
            if (job.kind == JobKind::promote) promote = job;
    }
    REQUIRE(promote);
    return *promote;
}

}  // namespace

TEST_CASE("a completed promotion makes the node the writable primary at once, not on its next round") {
    auto n = standby_of_node_1();
    auto job = won_promotion(n, t0 + 100ms);
    CHECK(n.core.status().role == Role::standby);
    CHECK_FALSE(n.core.status().writable);
    n.core.on_job_done(job.id, JobResult{}, t0 + 400ms);
    CHECK(n.core.status().role == Role::primary);
    CHECK(n.core.status().writable);
    CHECK(n.core.status().postgres_up);
}

TEST_CASE("a failed promotion, or one that outlived its lease, does not make the node writable") {
    SECTION("failed") {
        auto n = standby_of_node_1();
        auto job = won_promotion(n, t0 + 100ms);
        JobResult failed;
        failed.ok = false;
        n.core.on_job_done(job.id, failed, t0 + 400ms);
        CHECK_FALSE(n.core.status().writable);
        CHECK(n.core.status().role != Role::primary);
    }
    SECTION("lease run out while it promoted") {
        auto n = standby_of_node_1();
        auto job = won_promotion(n, t0 + 100ms);
        n.core.on_job_done(job.id, JobResult{}, t0 + 10s);  // the 3 s lease ended long ago
        CHECK_FALSE(n.core.status().writable);
    }
}

TEST_CASE("a switchover's promotion of this node asks for a fresh round at once") {
    auto n = standby_of_node_1();
    auto fx = n.core.on_local_change();
    REQUIRE(fx.tick_in);
    CHECK(*fx.tick_in == Millis(0));
}
