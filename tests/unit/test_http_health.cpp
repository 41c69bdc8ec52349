#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

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

HttpResponse get(const DaemonStatus& status, const std::string& target) {
    Router router;
    add_health_routes(router, [status] { return status; });
    HttpRequest request;
    request.method = "GET";
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
        {"replica: bad bound on a primary", primary(), "/replica?lag=16", 400},
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
        s.failovers = 2;
        s.hook_failures = 1;
    });
    auto response = get(status, "/metrics");
    CHECK(response.status == 200);
    CHECK(response.content_type == "text/plain; version=0.0.4; charset=utf-8");
    const std::string& text = response.body;
    for (auto line : {"# HELP pgha_up ", "# TYPE pgha_up gauge\npgha_up{node=\"node2\"} 1\n",
                      "pgha_postgres_up{node=\"node2\"} 1\n",
                      "# TYPE pgha_role gauge\n",
                      "pgha_role{node=\"node2\",role=\"standby\"} 1\n",
                      "pgha_role{node=\"node2\",role=\"primary\"} 0\n",
                      "pgha_is_primary{node=\"node2\"} 0\n", "pgha_writable{node=\"node2\"} 0\n",
                      "pgha_term{node=\"node2\"} 4\n", "pgha_paused{node=\"node2\"} 0\n",
                      "pgha_fenced{node=\"node2\"} 0\n", "pgha_lag_bytes{node=\"node2\"} 1024\n",
                      "pgha_last_primary_contact_seconds{node=\"node2\"} 1.5\n",
                      "# TYPE pgha_failovers_total counter\npgha_failovers_total{node=\"node2\"} 2\n",
                      "# TYPE pgha_hook_failures_total counter\npgha_hook_failures_total{node=\"node2\"} 1\n"}) {
        INFO(line);
        CHECK(text.find(line) != std::string::npos);
    }
    // Every sample follows the HELP and TYPE of its metric.
    std::set<std::string> described;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        INFO(line);
        if (line.rfind("# TYPE ", 0) == 0) described.insert(line.substr(7, line.find(' ', 7) - 7));
        if (line[0] == '#') continue;
        CHECK(described.count(line.substr(0, line.find('{'))) == 1);
    }

    // Unknown values are left out, not reported as 0.
    auto primary_text = get(primary(), "/metrics").body;
    CHECK(primary_text.find("pgha_lag_bytes{") == std::string::npos);
    CHECK(primary_text.find("pgha_last_primary_contact_seconds{") == std::string::npos);
    CHECK(primary_text.find("pgha_is_primary{node=\"node1\"} 1\n") != std::string::npos);
}

TEST_CASE("metric labels are escaped per the Prometheus rules", "[http]") {
    CHECK(escape_label_value(R"(db"1\a)" "\n" "x") == R"(db\"1\\a\nx)");
    auto text = render_metrics(with(down(), [](auto& s) {
        s.node_name = "we\"ird\\node\n";
        s.role = "odd\"role";
    }));
    CHECK(text.find("pgha_up{node=\"we\\\"ird\\\\node\\n\"} 1\n") != std::string::npos);
    CHECK(text.find("pgha_role{node=\"we\\\"ird\\\\node\\n\",role=\"odd\\\"role\"} 1\n") != std::string::npos);
}
