#include <catch2/catch.hpp>

#include "election/decide.hpp"
#include "election/lease.hpp"
#include "election/ranking.hpp"
#include "election/voter.hpp"

using namespace pgha;
using namespace pgha::election;
using namespace std::chrono_literals;

namespace {
const TimePoint t0{};
}

TEST_CASE("quorum is a strict majority") {
    CHECK(quorum(1) == 1);
    CHECK(quorum(2) == 2);
    CHECK(quorum(3) == 2);
    CHECK(quorum(4) == 3);
    CHECK(quorum(5) == 3);
}

TEST_CASE("a leader counts a promise less twice the clock drift bound, and fences a fifth before") {
    CHECK(counted_promise(10s) == 9800ms);
    CHECK(counted_promise(3s) == 2940ms);
    CHECK(lease_margin(10s) == 2s);
    CHECK(lease_margin(500ms) == 200ms);
}

TEST_CASE("the quorum's promise is the quorum-th longest") {
    CHECK(quorum_promise({10s, 3s, 10s}, 3) == 10s);
    CHECK(quorum_promise({10s, 3s}, 3) == 3s);
    CHECK(quorum_promise({10s, 3s, 5s}, 5) == 3s);
    CHECK(quorum_promise({10s}, 3) == 0s);  // no quorum promised anything
}

TEST_CASE("the primary's lease counts from the send time of the newest round a quorum acknowledged") {
    PrimaryLease lease(3, 10s, t0, 10s);
    CHECK(lease.expires_at() == t0 + 9800ms);  // the start counts as a granted round
    lease.round_sent(1, t0 + 1s);
    CHECK(lease.expires_at() == t0 + 9800ms);  // sent, not yet acknowledged
    lease.acknowledged(1, 2, 10s);             // self + node 2 = quorum of 3
    CHECK(lease.expires_at() == t0 + 10800ms);
    CHECK_FALSE(lease.must_fence(t0 + 8799ms));
    CHECK(lease.must_fence(t0 + 8800ms));  // 2 s safety margin
}

TEST_CASE("a leader never counts a lease longer than the shortest promise of the quorum that acknowledged") {
    // This primary is configured for 10 s; node 2 promises 3 s, node 3 10 s.
    PrimaryLease lease(3, 10s, t0, 10s);
    lease.round_sent(1, t0 + 20s);
    lease.acknowledged(1, 2, 3s);
    CHECK(lease.expires_at() == t0 + 20s + 2940ms);  // {10 s self, 3 s}: the quorum promised 3 s
    CHECK(lease.must_fence(t0 + 20s + 2340ms));     // a fifth of 3 s before
    CHECK_FALSE(lease.must_fence(t0 + 20s + 2339ms));
    lease.acknowledged(1, 3, 10s);
    CHECK(lease.expires_at() == t0 + 29800ms);  // {10, 3, 10}: two voters promised 10 s
    // Everyone's lease_timeout lowered to 3 s: the next rounds count 3 s, never
    // less than what was granted already.
    lease.set_own_promise(3s);
    lease.round_sent(2, t0 + 21s);
    lease.acknowledged(2, 2, 3s);
    CHECK(lease.expires_at() == t0 + 29800ms);
    lease.round_sent(3, t0 + 28s);
    lease.acknowledged(3, 2, 3s);
    CHECK(lease.expires_at() == t0 + 30940ms);
}

TEST_CASE("acknowledgments of a round without quorum do not extend the lease") {
    PrimaryLease lease(5, 10s, t0, 10s);
    lease.round_sent(1, t0 + 5s);
    lease.acknowledged(1, 2, 10s);
    CHECK(lease.expires_at() == t0 + 9800ms);  // 2 of 5
    lease.acknowledged(1, 2, 10s);             // the same peer twice counts once
    CHECK(lease.expires_at() == t0 + 9800ms);
    lease.acknowledged(1, 3, 10s);
    CHECK(lease.expires_at() == t0 + 14800ms);
}

TEST_CASE("a late acknowledgment of an old round never moves the lease backwards or counts a forgotten round") {
    PrimaryLease lease(3, 10s, t0, 10s);
    lease.round_sent(1, t0 + 1s);
    lease.round_sent(2, t0 + 2s);
    lease.acknowledged(2, 3, 10s);
    lease.acknowledged(1, 2, 10s);
    CHECK(lease.expires_at() == t0 + 11800ms);
    lease.round_sent(3, t0 + 30s);  // round 1 and 2 are now older than one lease
    lease.acknowledged(1, 3, 10s);
    CHECK(lease.expires_at() == t0 + 11800ms);
    CHECK(lease.must_fence(t0 + 30s));
}

TEST_CASE("a round needs a quorum of the voters registered when it was sent") {
    // A rejoined node makes four voters: two acknowledgments are no longer a quorum.
    PrimaryLease lease(3, 10s, t0, 10s);
    lease.round_sent(1, t0 + 1s);
    lease.set_voters(4);
    lease.round_sent(2, t0 + 2s);
    lease.acknowledged(2, 2, 10s);
    CHECK(lease.expires_at() == t0 + 9800ms);
    lease.acknowledged(1, 2, 10s);  // round 1 went out to three voters
    CHECK(lease.expires_at() == t0 + 10800ms);
    lease.acknowledged(2, 3, 10s);
    CHECK(lease.expires_at() == t0 + 11800ms);
}

TEST_CASE("a voter's answer names its promise; a reload changes new promises, never one given") {
    Voter voter({1, std::nullopt}, 10s, t0);
    auto ack = voter.on_heartbeat(1, 1, t0 + 1s);
    CHECK(ack.promise == 10s);
    voter.set_lease_timeout(3s);
    CHECK(voter.promise_remaining(t0 + 5s) == 6s);  // the 10 s promised at 1 s still binds
    CHECK(voter.on_heartbeat(1, 1, t0 + 5s).promise == 3s);
    CHECK_FALSE(voter.on_vote_request({2, 3, 100}, 50, t0 + 10s).granted);
    auto vote = voter.on_vote_request({2, 3, 100}, 50, t0 + 11s);
    CHECK(vote.granted);
    CHECK(vote.promise == 3s);
}

TEST_CASE("a voter grants nothing while its promise to the primary holds") {
    Voter voter({1, std::nullopt}, 10s, t0);
    CHECK_FALSE(voter.on_vote_request({2, 3, 100}, 50, t0 + 5s).granted);  // start counts as a promise
    CHECK(voter.on_heartbeat(1, 1, t0 + 6s).granted);
    auto refused = voter.on_vote_request({2, 3, 100}, 50, t0 + 15s);
    CHECK_FALSE(refused.granted);
    CHECK_THAT(refused.reason, Catch::Matchers::Contains("promised node 1"));
    CHECK(voter.on_vote_request({2, 3, 100}, 50, t0 + 16s).granted);
}

TEST_CASE("a released lease lets the voter vote at once") {
    Voter voter({1, std::nullopt}, 10s, t0);
    voter.on_heartbeat(1, 1, t0 + 11s);
    voter.on_release(1, 2);  // not the leader: ignored
    CHECK_FALSE(voter.lease_expired(t0 + 12s));
    voter.on_release(1, 1);
    CHECK(voter.lease_expired(t0 + 12s));
    CHECK(voter.on_vote_request({2, 3, 100}, 50, t0 + 12s).granted);
}

TEST_CASE("one vote per term, never for a candidate behind the voter, never for an old term") {
    Voter voter({4, std::nullopt}, 10s, t0);
    auto later = t0 + 20s;
    CHECK_FALSE(voter.on_vote_request({3, 2, 100}, 50, later).granted);
    CHECK_FALSE(voter.on_vote_request({5, 2, 40}, 50, later).granted);
    auto first = voter.on_vote_request({5, 2, 100}, 50, later);
    CHECK(first.granted);
    CHECK(voter.record().term == 5);
    CHECK(voter.record().voted_for == 2);
    CHECK(voter.on_vote_request({5, 2, 100}, 50, later).granted);  // the same candidate again
    CHECK_FALSE(voter.on_vote_request({5, 3, 200}, 50, later).granted);
    // A vote is a promise: no newer candidate wins before the winner could promote.
    auto too_soon = voter.on_vote_request({6, 3, 200}, 50, later + 9s);
    CHECK_FALSE(too_soon.granted);
    CHECK_THAT(too_soon.reason, Catch::Matchers::Contains("promised node 2"));
    CHECK(voter.on_vote_request({6, 3, 200}, 50, later + 10s).granted);
}

TEST_CASE("a candidate votes for nobody else while it may still be promoting") {
    Voter voter({1, std::nullopt}, 10s, t0);
    auto term = voter.start_candidacy(2, t0 + 20s);
    CHECK(term == 2);
    CHECK_FALSE(voter.on_vote_request({3, 3, 500}, 50, t0 + 21s).granted);
    CHECK(voter.on_heartbeat(2, 2, t0 + 22s).granted);  // its own heartbeats as the new primary
    CHECK(voter.on_vote_request({3, 3, 500}, 50, t0 + 33s).granted);
}

TEST_CASE("a witness votes without an LSN of its own") {
    Voter witness({1, std::nullopt}, 10s, t0);
    CHECK(witness.on_vote_request({2, 2, 0}, std::nullopt, t0 + 11s).granted);
}

TEST_CASE("a heartbeat from an older term is refused so that the old primary learns it lost") {
    Voter voter({7, std::nullopt}, 10s, t0);
    auto reply = voter.on_heartbeat(6, 1, t0 + 1s);
    CHECK_FALSE(reply.granted);
    CHECK(reply.term == 7);
}

TEST_CASE("candidates rank by LSN, then priority, then lowest node id") {
    std::vector<Candidate> c{{1, true, false, 100, 500}, {2, true, false, 50, 700}, {3, true, false, 100, 700},
                             {4, true, false, 100, 700}};
    CHECK(rank_candidates(c, 1 << 20).order == std::vector<int>{3, 4, 2, 1});
}

TEST_CASE("priority 0, witnesses, unreachable and too-far-behind nodes are never chosen") {
    std::vector<Candidate> c{{1, true, false, 0, 900},       {2, true, true, 100, std::nullopt},
                             {3, false, false, 100, 950},     {4, true, false, 100, 100},
                             {5, true, false, 100, 990},      {6, true, false, 100, std::nullopt}};
    auto ranking = rank_candidates(c, 500);
    CHECK(ranking.order == std::vector<int>{5});
    CHECK(ranking.excluded.size() == 5);
}

TEST_CASE("when the only up-to-date node has priority 0 a lagging one may still be chosen within the limit") {
    std::vector<Candidate> c{{1, true, false, 0, 1000}, {2, true, false, 100, 900}};
    CHECK(rank_candidates(c, 200).best() == 2);
    CHECK_FALSE(rank_candidates(c, 50).best());
}

namespace {
StandbySnapshot lost_primary() {
    StandbySnapshot s;
    s.self_id = 2;
    s.upstream_connected = false;
    s.upstream_lost_for = 5s;
    s.failure_threshold = 3s;
    s.lease_expired = true;
    s.voters = 3;
    s.peers = {{3, true, false}};
    s.candidates = {{2, true, false, 100, 1000}, {3, true, false, 100, 900}};
    s.maximum_lag = 16 << 20;
    return s;
}
}  // namespace

TEST_CASE("the best standby elects itself once every guard passes") {
    auto d = decide_standby(lost_primary());
    CHECK(d.action == Action::start_election);
}

TEST_CASE("every guard stops an election, with its reason") {
    struct Case { const char* name; std::function<void(StandbySnapshot&)> change; Action action; const char* reason; };
    std::vector<Case> cases{
        {"connected", [](auto& s) { s.upstream_connected = true; }, Action::none, "connected to the primary"},
        {"manual", [](auto& s) { s.automatic = false; }, Action::none, "manual"},
        {"paused", [](auto& s) { s.paused = true; }, Action::none, "paused"},
        {"too soon", [](auto& s) { s.upstream_lost_for = 1s; }, Action::wait, "primary lost for 1000 ms"},
        {"lease", [](auto& s) { s.lease_expired = false; s.lease_remaining = 4s; }, Action::wait, "lease"},
        {"peer sees primary", [](auto& s) { s.peers[0].sees_primary = true; }, Action::none, "node 3 still sees"},
        {"peer unfencing", [](auto& s) { s.peers[0].unfencing = true; }, Action::none, "node 3 is unfencing"},
        {"no quorum", [](auto& s) { s.peers[0].reachable = false; }, Action::none, "only 1 of 3"},
        {"better candidate", [](auto& s) { s.candidates[1].lsn = 2000; }, Action::wait, "node 3 is a better"},
        {"priority 0", [](auto& s) { s.candidates[0].priority = 0; }, Action::wait, "not eligible"},
        {"nobody eligible", [](auto& s) { s.candidates[0].priority = 0; s.candidates[1].priority = 0; },
         Action::none, "no node is eligible for promotion (node 2: priority 0: never promoted; node 3: priority 0"},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto s = lost_primary();
        c.change(s);
        auto d = decide_standby(s);
        CHECK(d.action == c.action);
        CHECK_THAT(d.reason, Catch::Matchers::Contains(c.reason));
    }
}

TEST_CASE("fencing.mode = ping: in a two-node cluster a reachable ping target stands in for the lost peer's vote") {
    auto s = lost_primary();
    s.voters = 2;
    s.peers = {{1, false, false}};  // the primary's node, unreachable
    s.candidates = {{2, true, false, 100, 1000}, {1, false, false, 100, std::nullopt}};
    CHECK_THAT(decide_standby(s).reason, Catch::Matchers::Contains("only 1 of 2 voters reachable"));  // quorum mode
    s.ping_mode = true;
    auto unchecked = decide_standby(s);
    CHECK(unchecked.action == Action::none);
    CHECK_THAT(unchecked.reason, Catch::Matchers::Contains("no ping target answers"));
    s.ping_answered = false;
    CHECK(decide_standby(s).action == Action::none);
    s.ping_answered = true;
    CHECK(decide_standby(s).action == Action::start_election);
    s.lease_expired = false;  // the primary may still hold its lease: wait, ping or not
    CHECK(decide_standby(s).action == Action::wait);
    s.lease_expired = true;
    s.voters = 3;  // ping mode does not replace a quorum of three
    s.peers.push_back({3, false, false});
    CHECK_THAT(decide_standby(s).reason, Catch::Matchers::Contains("only 1 of 3 voters reachable"));
}

TEST_CASE("a term has one primary: heartbeats of a second leader in the same term are refused") {
    Voter voter({1, std::nullopt}, 10s, t0);
    CHECK(voter.on_vote_request({2, 2, 100}, 50, t0 + 11s).granted);
    CHECK_FALSE(voter.on_heartbeat(2, 1, t0 + 12s).granted);  // node 1 did not win term 2
    CHECK(voter.on_heartbeat(2, 2, t0 + 12s).granted);
    Voter other({3, std::nullopt}, 10s, t0);
    CHECK(other.on_heartbeat(3, 5, t0).granted);
    CHECK_FALSE(other.on_heartbeat(3, 6, t0).granted);
}
