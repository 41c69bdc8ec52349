#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <set>
#include <sstream>
#include <vector>

#include "http/health.hpp"

using namespace pgha;

namespace {

DaemonStatus primary() {
    DaemonStatus s;
    s.node_id = 1;
    s.node_name = "node1";
    s.role = "primary";
    s.postgres_up = true;
    s.writable = true;
    s.term = 4;
    s.lsn = 0x3000148;
    return s;
}

DaemonStatus standby(std::optional<std::int64_t> lag = 1024) {
    DaemonStatus s;
    s.node_id = 2;
    s.node_name = "node2";
    s.role = "standby";
    s.postgres_up = true;
    s.streaming = true;
    s.upstream = "node1";
    s.lag_bytes = lag;
    s.term = 4;
    s.last_primary_contact_ms = 1500;
    return s;
}

DaemonStatus down() {
    DaemonStatus s;
    s.node_id = 3;
    s.node_name = "node3";
    return s;
}

template <typename F>
DaemonStatus with(DaemonStatus s, F change) {
    change(s);
    return s;
}

HttpResponse get(const DaemonStatus& status, const std::string& target, const std::string& method = "GET") {
    Router router;
    add_health_routes(router, [status] { return status; });
    HttpRequest request;
    request.method = method;
    std::tie(request.path, request.query) = parse_target(target);
    return router.dispatch(request, std::chrono::system_clock::now());
}

}  // namespace

TEST_CASE("health checks answer HAProxy from the daemon's status", "[http]") {
    struct Case {
        const char* what;
        DaemonStatus status;
        const char* target;
        int expected;
    };
    std::vector<Case> cases{
        {"health: postgres up", primary(), "/health", 200},
        {"health: standby up", standby(), "/health", 200},
        {"health: postgres down", down(), "/health", 503},
        {"primary: writable primary", primary(), "/primary", 200},
        {"primary: fenced", with(primary(), [](auto& s) { s.fenced = true; }), "/primary", 503},
        {"primary: read-only", with(primary(), [](auto& s) { s.writable = false; }), "/primary", 503},
        {"primary: standby", standby(), "/primary", 503},
        {"primary: down", down(), "/primary", 503},
        {"replica: streaming standby", standby(), "/replica", 200},
        {"replica: lag unknown, no bound", standby(std::nullopt), "/replica", 200},
        {"replica: not streaming", with(standby(), [](auto& s) { s.streaming = false; }), "/replica", 503},
        {"replica: primary", primary(), "/replica", 503},
        {"replica: witness", with(down(), [](auto& s) { s.role = "witness"; }), "/replica", 503},
        {"replica: down", down(), "/replica", 503},
        {"replica: lag within bound", standby(1024), "/replica?lag=16MB", 200},
        {"replica: lag exactly at bound", standby(16 << 20), "/replica?lag=16MB", 200},
        {"replica: lag over bound", standby((16 << 20) + 1), "/replica?lag=16MB", 503},
        {"replica: lag unknown with bound", standby(std::nullopt), "/replica?lag=16MB", 503},
        {"replica: zero bound, caught up", standby(0), "/replica?lag=0", 200},
        {"replica: bad bound", standby(), "/replica?lag=lots", 400},
        {"replica: bad bound on a primary", primary(), "/replica?lag=16XB", 400},
        {"replica: plain bytes are a bound", standby(16), "/replica?lag=16", 200},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        CHECK(get(c.status, c.target).status == c.expected);
    }
}

TEST_CASE("health check bodies say why", "[http]") {
    CHECK(check_primary(standby()).reason == "not the primary: role is standby");
    CHECK(check_primary(with(primary(), [](auto& s) { s.fenced = true; })).reason == "primary is fenced");
    CHECK(check_replica(standby(32 << 20), {{"lag", "16MB"}}).reason == "standby lag 32MB exceeds 16MB");
    CHECK(check_replica(standby(32 << 20), {{"lag", "1048576"}}).reason == "standby lag 32MB exceeds 1MB");
    CHECK(check_health(down()).reason == "PostgreSQL is down");
    CHECK_THROWS_AS(check_replica(standby(), {{"lag", "-1MB"}}), BadRequest);
    CHECK(get(down(), "/health").body == "PostgreSQL is down\n");
}

TEST_CASE("/status is a JSON object with the daemon's view", "[http]") {
    auto response = get(with(standby(), [](auto& s) { s.last_decision = "no action: following node1"; }), "/status");
    CHECK(response.status == 200);
    CHECK(response.content_type == "application/json");
    auto j = nlohmann::json::parse(response.body);
    CHECK(j["node_id"] == 2);
    CHECK(j["node_name"] == "node2");
    CHECK(j["role"] == "standby");
    CHECK(j["postgres_up"] == true);
    CHECK(j["streaming"] == true);
    CHECK(j["upstream"] == "node1");
    CHECK(j["term"] == 4);
    CHECK(j["lsn"].is_null());
    CHECK(j["lag_bytes"] == 1024);
    CHECK(j["last_primary_contact_ms"] == 1500);
    CHECK(j["last_decision"] == "no action: following node1");
    for (auto key : {"writable", "paused", "fenced", "failovers", "hook_failures"}) CHECK(j.contains(key));

    j = nlohmann::json::parse(get(primary(), "/status").body);
    CHECK(j["lsn"] == "0/3000148");
    CHECK(j["upstream"].is_null());
    CHECK(j["lag_bytes"].is_null());
}

TEST_CASE("/metrics is Prometheus text with HELP and TYPE", "[http]") {
    auto status = with(standby(), [](auto& s) {
        s.hook_failures = 1;
        s.metrics.cluster = "prod";
        s.metrics.timeline = 3;
        s.metrics.received_lsn = 50331976;
        s.metrics.replay_lag_seconds = 0.25;
        s.metrics.quorum_size = 2;
        s.metrics.failovers = {{"primary_lost", 2}};
        s.metrics.switchovers = 1;
        s.metrics.last_total_seconds = 4.5;
    });
    auto response = get(status, "/metrics");
    CHECK(response.status == 200);
    CHECK(response.content_type == "text/plain; version=0.0.4; charset=utf-8");
    const std::string& text = response.body;
    const std::string l = "{cluster=\"prod\",node=\"node2\"";
    for (const std::string& line : std::vector<std::string>{"# HELP pgha_up ", "# TYPE pgha_up gauge\npgha_up" + l + "} 1\n",
                      "pgha_postgres_up" + l + "} 1\n",
                      std::string("# TYPE pgha_role gauge\n"),
                      "pgha_role" + l + ",role=\"standby\"} 1\n",
                      "pgha_role" + l + ",role=\"primary\"} 0\n",
                      "pgha_is_primary" + l + "} 0\n", "pgha_writable" + l + "} 0\n",
                      "pgha_term" + l + "} 4\n", "pgha_paused" + l + "} 0\n",
                      "pgha_fenced" + l + "} 0\n", "pgha_lag_bytes" + l + "} 1024\n",
                      "pgha_timeline" + l + "} 3\n",
                      "pgha_wal_received_lsn_bytes" + l + "} 50331976\n",
                      "pgha_wal_current_lsn_bytes" + l + "} NaN\n",
                      "pgha_replay_lag_seconds" + l + "} 0.25\n",
                      "pgha_lease_remaining_seconds" + l + "} NaN\n",
                      "pgha_quorum_size" + l + "} 2\n",
                      "pgha_last_primary_contact_seconds" + l + "} 1.5\n",
                      "# TYPE pgha_failovers_total counter\npgha_failovers_total" + l +
                          ",reason=\"primary_crashed\"} 0\n",
                      "pgha_failovers_total" + l + ",reason=\"primary_lost\"} 2\n",
                      "pgha_failovers_total" + l + ",reason=\"manual\"} 0\n",
                      "# TYPE pgha_switchovers_total counter\npgha_switchovers_total" + l + "} 1\n",
                      "pgha_last_failover_total_seconds" + l + "} 4.5\n",
                      "pgha_last_failover_detection_seconds" + l + "} NaN\n",
                      "# TYPE pgha_hook_failures_total counter\npgha_hook_failures_total" + l + "} 1\n"}) {
        INFO(line);
        CHECK(text.find(line) != std::string::npos);
    }
    // Every sample follows the HELP and TYPE of its metric and carries the cluster label.
    std::set<std::string> described;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        INFO(line);
        if (line.rfind("# TYPE ", 0) == 0) described.insert(line.substr(7, line.find(' ', 7) - 7));
        if (line[0] == '#') continue;
        CHECK(described.count(line.substr(0, line.find('{'))) == 1);
        CHECK(line.find(l) == line.find('{'));
    }
}

namespace {

// The series of a /metrics text: each sample's name and labels, without its value.
std::set<std::string> series(const std::string& text) {
    std::set<std::string> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty() && line[0] != '#') out.insert(line.substr(0, line.rfind(' ')));
    return out;
}

}  // namespace

TEST_CASE("/metrics writes the same series in every role, NaN where unknown", "[http]") {
    auto on_primary = render_metrics(primary());
    auto on_standby = render_metrics(with(standby(), [](auto& s) { s.node_name = "node1"; }));
    auto on_down = render_metrics(with(down(), [](auto& s) { s.node_name = "node1"; }));
    auto fenced = render_metrics(with(primary(), [](auto& s) {
        s.fenced = true;
        s.metrics.failovers = {{"primary_crashed", 1}};
        s.metrics.last_total_seconds = 2;
    }));
    CHECK(series(on_primary).size() > 30);
    CHECK(series(on_primary) == series(on_standby));
    CHECK(series(on_primary) == series(on_down));
    CHECK(series(on_primary) == series(fenced));
    // Unknown values are NaN, not 0, which would look healthy; a primary has no lag.
    CHECK(on_primary.find("pgha_lag_bytes{cluster=\"pgha\",node=\"node1\"} 0\n") != std::string::npos);
    CHECK(on_primary.find("pgha_last_primary_contact_seconds{cluster=\"pgha\",node=\"node1\"} NaN\n") !=
          std::string::npos);
    CHECK(on_standby.find("pgha_lag_bytes{cluster=\"pgha\",node=\"node1\"} 1024\n") != std::string::npos);
    CHECK(on_down.find("pgha_lag_bytes{cluster=\"pgha\",node=\"node1\"} NaN\n") != std::string::npos);
    CHECK(on_primary.find("pgha_is_primary{cluster=\"pgha\",node=\"node1\"} 1\n") != std::string::npos);
}

TEST_CASE("metric labels are escaped per the Prometheus rules", "[http]") {
    CHECK(escape_label_value(R"(db"1\a)" "\n" "x") == R"(db\"1\\a\nx)");
    auto text = render_metrics(with(down(), [](auto& s) {
        s.node_name = "we\"ird\\node\n";
        s.role = "odd\"role";
        s.metrics.cluster = "a\"b";
    }));
    CHECK(text.find("pgha_up{cluster=\"a\\\"b\",node=\"we\\\"ird\\\\node\\n\"} 1\n") != std::string::npos);
    CHECK(text.find("pgha_role{cluster=\"a\\\"b\",node=\"we\\\"ird\\\\node\\n\",role=\"odd\\\"role\"} 1\n") !=
          std::string::npos);
}

namespace {

DaemonStatus tagged(DaemonStatus s, std::map<std::string, std::string> tags) {
    s.tags = std::move(tags);
    return s;
}

DaemonStatus ticked(DaemonStatus s, std::optional<std::int64_t> age_ms) {
    s.last_tick_ms = age_ms;
    s.liveness_bound_ms = 4000;
    return s;
}

}  // namespace

TEST_CASE("Patroni's paths answer as Patroni's do, on GET, HEAD and OPTIONS", "[http]") {
    struct Case {
        const char* what;
        DaemonStatus status;
        const char* target;
        int expected;
    };
    auto nolb = tagged(standby(), {{"noloadbalance", "true"}, {"dc", "east"}});
    std::vector<Case> cases{
        {"/ on the primary", primary(), "/", 200},
        {"/ on a standby", standby(), "/", 503},
        {"/master on the primary", primary(), "/master", 200},
        {"/master on a standby", standby(), "/master", 503},
        {"/leader on the primary", primary(), "/leader", 200},
        {"/leader on a fenced primary", with(primary(), [](auto& s) { s.fenced = true; }), "/leader", 503},
        {"/read-write on the primary", primary(), "/read-write", 200},
        {"/read-write on a read-only primary", with(primary(), [](auto& s) { s.writable = false; }), "/read-write",
         503},
        {"/standby on a standby", standby(), "/standby", 200},
        {"/standby on the primary", primary(), "/standby", 503},
        {"/standby over lag", standby(32 << 20), "/standby?lag=16MB", 503},
        {"/read-only on the primary", primary(), "/read-only", 200},
        {"/read-only on a standby", standby(), "/read-only", 200},
        {"/read-only on a standby not streaming", with(standby(), [](auto& s) { s.streaming = false; }),
         "/read-only", 503},
        {"/read-only on a standby over lag", standby(32 << 20), "/read-only?lag=16MB", 503},
        {"/read-only on a standby within lag", standby(1024), "/read-only?lag=16MB", 200},
        {"/read-only down", down(), "/read-only", 503},
        {"/replica: lag in plain bytes, within", standby(1024), "/replica?lag=1048576", 200},
        {"/replica: lag in plain bytes, over", standby(1048577), "/replica?lag=1048576", 503},
        {"/replica: replication_state=streaming", standby(), "/replica?replication_state=streaming", 200},
        {"/replica: replication_state=streaming, not streaming",
         with(standby(), [](auto& s) { s.streaming = false; }), "/replica?replication_state=streaming", 503},
        {"/replica: replication_state unsupported", standby(), "/replica?replication_state=stopped", 400},
        {"/liveness: ticked lately", ticked(standby(), 500), "/liveness", 200},
        {"/liveness: on a node whose PostgreSQL is down", ticked(down(), 500), "/liveness", 200},
        {"/liveness: at the bound", ticked(primary(), 4000), "/liveness", 200},
        {"/liveness: loop stalled", ticked(primary(), 4001), "/liveness", 503},
        {"/liveness: never ticked", ticked(primary(), std::nullopt), "/liveness", 503},
        {"/readiness on the primary", primary(), "/readiness", 200},
        {"/readiness on a fenced primary", with(primary(), [](auto& s) { s.fenced = true; }), "/readiness", 503},
        {"/readiness on a streaming standby", standby(), "/readiness", 200},
        {"/readiness on a standby not streaming", with(standby(), [](auto& s) { s.streaming = false; }),
         "/readiness", 503},
        {"/readiness over the default bound (maximum_lag_on_failover)", standby((16 << 20) + 1), "/readiness", 503},
        {"/readiness within lag", standby(1 << 20), "/readiness?lag=2MB", 200},
        {"/readiness over lag", standby(4 << 20), "/readiness?lag=2MB", 503},
        {"/readiness down", down(), "/readiness", 503},
        {"/readiness on a witness", with(down(), [](auto& s) { s.role = "witness"; }), "/readiness", 503},
        {"/readiness ignores noloadbalance", nolb, "/readiness", 200},
        // Tags.
        {"noloadbalance: /replica", nolb, "/replica", 503},
        {"noloadbalance: /standby", nolb, "/standby", 503},
        {"noloadbalance: /read-only", nolb, "/read-only", 503},
        {"noloadbalance: /health", nolb, "/health", 200},
        {"noloadbalance = false", tagged(standby(), {{"noloadbalance", "false"}}), "/replica", 200},
        {"noloadbalance on the primary: /read-only as Patroni", tagged(primary(), {{"noloadbalance", "true"}}),
         "/read-only", 200},
        {"tag matches", tagged(standby(), {{"dc", "east"}}), "/replica?tag_dc=east", 200},
        {"tag differs", tagged(standby(), {{"dc", "west"}}), "/replica?tag_dc=east", 503},
        {"tag missing", standby(), "/replica?tag_dc=east", 503},
        {"two tags, both match", tagged(standby(), {{"dc", "east"}, {"rack", "r1"}}),
         "/replica?tag_dc=east&tag_rack=r1", 200},
        {"two tags, one differs", tagged(standby(), {{"dc", "east"}, {"rack", "r2"}}),
         "/replica?tag_dc=east&tag_rack=r1", 503},
        {"tag on /standby", tagged(standby(), {{"dc", "east"}}), "/standby?tag_dc=east", 200},
        {"tag on /read-only, standby differs", tagged(standby(), {{"dc", "west"}}), "/read-only?tag_dc=east", 503},
        {"unset nofailover reads as false", standby(), "/replica?tag_nofailover=false", 200},
        {"nofailover tag matched", tagged(standby(), {{"nofailover", "true"}}), "/replica?tag_nofailover=true", 200},
        {"tag filter does not undo noloadbalance", nolb, "/replica?tag_dc=east", 503},
        // A parameter that is not understood is a 400 on every path, whatever the role.
        {"unknown on /replica", standby(), "/replica?foo=1", 400},
        {"unknown on /standby", standby(), "/standby?foo=1", 400},
        {"unknown on /read-only", primary(), "/read-only?foo=1", 400},
        {"unknown on /primary", primary(), "/primary?foo=1", 400},
        {"lag on /primary", primary(), "/primary?lag=16MB", 400},
        {"unknown on /", primary(), "/?foo=1", 400},
        {"unknown on /master", primary(), "/master?foo=1", 400},
        {"unknown on /leader", primary(), "/leader?foo=1", 400},
        {"unknown on /read-write", primary(), "/read-write?foo=1", 400},
        {"unknown on /health", primary(), "/health?foo=1", 400},
        {"unknown on /liveness", ticked(primary(), 1), "/liveness?foo=1", 400},
        {"unknown on /readiness", primary(), "/readiness?foo=1", 400},
        {"tag on /readiness", primary(), "/readiness?tag_dc=east", 400},
        {"bad lag on /readiness", primary(), "/readiness?lag=much", 400},
        {"empty lag", standby(), "/replica?lag=", 400},
        {"tag_ without a name", standby(), "/replica?tag_=x", 400},
        {"unknown on /status", primary(), "/status?foo=1", 400},
        {"unknown on /metrics", primary(), "/metrics?foo=1", 400},
    };
    for (const auto& c : cases) {
        for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
            INFO(c.what << " (" << method << " " << c.target << ")");
            auto response = get(c.status, c.target, method);
            CHECK(response.status == c.expected);
            CHECK(response.body.empty() == (std::string(method) == "HEAD"));
        }
    }
}

TEST_CASE("a 400 names the parameter and the ones the path takes", "[http]") {
    CHECK(get(standby(), "/replica?foo=1").body ==
          "unknown parameter \"foo\" on /replica; it takes: lag, replication_state, tag_KEY\n");
    CHECK(get(standby(), "/standby?foo=1").body ==
          "unknown parameter \"foo\" on /standby; it takes: lag, replication_state, tag_KEY\n");
    CHECK(get(primary(), "/master?foo=1").body == "unknown parameter \"foo\": /master takes no parameters\n");
    CHECK(get(primary(), "/readiness?foo=1").body == "unknown parameter \"foo\" on /readiness; it takes: lag\n");
    CHECK(get(standby(), "/replica?lag=lots").body ==
          "lag=\"lots\" is not a size; write it like 16MB, 512kB or in bytes (1048576)\n");
    CHECK(get(standby(), "/replica?replication_state=stopped").status == 400);
}

TEST_CASE("health bodies say which tag or bound kept the node out", "[http]") {
    CHECK(get(tagged(standby(), {{"noloadbalance", "true"}}), "/replica").body ==
          "standby has the tag noloadbalance = \"true\": out of load balancing\n");
    CHECK(get(tagged(standby(), {{"dc", "west"}}), "/replica?tag_dc=east").body ==
          "standby's tag dc is \"west\", not \"east\"\n");
    CHECK(get(standby(), "/replica?tag_dc=east").body == "standby has no tag dc (wanted \"east\")\n");
    CHECK(get(ticked(primary(), 9000), "/liveness").body ==
          "the daemon's loop last ticked 9000 ms ago, more than its bound of 4000 ms\n");
    CHECK(get(standby(32 << 20), "/readiness").body == "standby lag 32MB exceeds 16MB\n");
    CHECK(parse_lag("1048576") == 1048576u);
    CHECK(parse_lag("16MB") == 16u << 20);
    CHECK(parse_lag("0") == 0u);
    CHECK_FALSE(parse_lag("-1"));
    CHECK_FALSE(parse_lag("16 apples"));
    CHECK_FALSE(parse_lag(""));
}

TEST_CASE("/status shows the tags and the loop's last tick", "[http]") {
    auto j = nlohmann::json::parse(
        get(ticked(tagged(standby(), {{"dc", "east"}, {"noloadbalance", "true"}}), 250), "/status").body);
    CHECK(j["tags"] == nlohmann::json({{"dc", "east"}, {"noloadbalance", "true"}}));
    CHECK(j["last_tick_ms"] == 250);
    CHECK(j["liveness_bound_ms"] == 4000);
    j = nlohmann::json::parse(get(primary(), "/status").body);
    CHECK(j["tags"] == nlohmann::json::object());
    CHECK(j["last_tick_ms"].is_null());
}
