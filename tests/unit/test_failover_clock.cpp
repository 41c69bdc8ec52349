#include <catch2/catch.hpp>

#include <cmath>

#include "monitor/failover_clock.hpp"
#include "monitor/peer_contacts.hpp"

using namespace pgha;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
const auto wall = std::chrono::system_clock::time_point{} + 1'700'000'000s;

DaemonMetrics report(const FailoverClock& clock) {
    DaemonMetrics m;
    clock.report(m);
    return m;
}

}  // namespace

TEST_CASE("the failover clock times an election this daemon won", "[metrics]") {
    FailoverClock clock;
    clock.round(true, false, t0, wall);  // a standby
    auto m = report(clock);
    CHECK(std::isnan(m.last_total_seconds));
    CHECK(m.failovers.at("primary_crashed") == 0);
    clock.other_primary_writable(t0 + 100ms);
    clock.primary_contact(t0 + 300ms);
    clock.election_started(t0 + 500ms, true);
    clock.promotion_started(t0 + 600ms);
    clock.promotion_finished(t0 + 900ms, wall);
    clock.round(false, true, t0 + 1s, wall);  // the round that finds it primary is not a second promotion
    m = report(clock);
    CHECK(m.failovers.at("primary_crashed") == 1);
    CHECK(m.failovers.at("primary_lost") == 0);
    CHECK(m.failovers.at("manual") == 0);
    CHECK(m.switchovers == 0);
    CHECK(m.last_detection_seconds == Approx(0.2));
    CHECK(m.last_election_seconds == Approx(0.1));
    CHECK(m.last_promotion_seconds == Approx(0.3));
    CHECK(m.last_total_seconds == Approx(0.6));
    CHECK(m.last_write_unavailable_seconds == Approx(0.8));
    CHECK(m.last_was_switchover == 0);
    CHECK(m.last_finished_seconds == Approx(1.7e9));
}

TEST_CASE("the failover clock tells a switchover and a manual promotion from a restart", "[metrics]") {
    FailoverClock clock;
    clock.round(false, true, t0, wall);  // a daemon that starts on a primary: nothing happened
    clock.round(false, false, t0 + 1s, wall);  // its PostgreSQL restarted by hand: down...
    clock.round(false, true, t0 + 2s, wall);   // ...and up again
    auto m = report(clock);
    CHECK(m.failovers.at("manual") == 0);
    CHECK(std::isnan(m.last_total_seconds));

    FailoverClock standby;
    standby.round(true, false, t0, wall);
    standby.other_primary_writable(t0 + 1s);
    standby.held(t0 + 500ms);
    standby.held(t0 + 1500ms);
    standby.round(false, true, t0 + 3s, wall);
    m = report(standby);
    CHECK(m.switchovers == 1);
    CHECK(m.last_was_switchover == 1);
    CHECK(m.last_detection_seconds == 0);
    CHECK(m.last_total_seconds == Approx(2.5));
    CHECK(m.last_write_unavailable_seconds == Approx(2.0));
    CHECK(m.last_promotion_seconds == Approx(2.0));

    standby.round(true, false, t0 + 10s, wall);  // demoted again, then promoted by hand long after the hold
    standby.other_primary_writable(t0 + 60s);
    standby.round(false, true, t0 + 61s, wall);
    m = report(standby);
    CHECK(m.switchovers == 1);
    CHECK(m.failovers.at("manual") == 1);
    CHECK(m.last_was_switchover == 0);
    CHECK(std::isnan(m.last_total_seconds));
    CHECK(m.last_write_unavailable_seconds == Approx(1.0));
}

TEST_CASE("peer contacts count the voters heard and the nodes acting as primary", "[metrics]") {
    PeerContacts contacts;
    contacts.heard(1, t0);  // itself does not count
    contacts.heard(2, t0);
    contacts.heartbeat(3, 4, t0 + 1s);
    CHECK(contacts.heard_within(1, t0 + 2s, 3000ms) == 2);
    CHECK(contacts.heard_within(1, t0 + 3500ms, 3000ms) == 1);
    // A heartbeat of the current term leads; one of an older term only when it
    // came after this node learned the current term.
    CHECK(contacts.leaders(1, 4, t0, t0 + 2s, 3000ms) == 1);
    CHECK(contacts.leaders(1, 5, t0 + 2s, t0 + 2s, 3000ms) == 0);
    CHECK(contacts.leaders(1, 5, t0 + 500ms, t0 + 2s, 3000ms) == 1);
    CHECK(contacts.leaders(1, 4, t0, t0 + 5s, 3000ms) == 0);
    CHECK_FALSE(contacts.leads(2, 4, t0, t0 + 2s, 3000ms));
}
