#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "core/error.hpp"
#include "monitor/core_inputs.hpp"

using namespace pgha;

namespace {

const std::string minimal = R"(node_id = 1
node_name = "node1"
conninfo = "host=127.0.0.1 port=5432 user=pgha dbname=pgha"
data_directory = "/var/lib/postgresql/15/main"
)";

// The error text (message and detail) of parsing `text`, or "" when it parses.
std::string error_of(const std::string& text) {
    try {
        parse_config(text, "/etc/pgha/pgha.toml");
    } catch (const Error& error) {
        CHECK(error.code() == ExitCode::usage);
        return std::string(error.what()) + "\n" + error.detail() + "\n" + error.hint();
    }
    return "";
}

}  // namespace

TEST_CASE("a minimal config gets every default") {
    auto config = parse_config(minimal, "x.toml");
    CHECK(config.node_id == 1);
    CHECK(config.node_name == "node1");
    CHECK(config.location == "default");
    CHECK(config.priority == 100);
    CHECK(config.use_replication_slots);
    CHECK(config.failover.mode == "automatic");
    CHECK(config.failover.monitor_interval == Millis(1000));
    CHECK(config.failover.lease_timeout == Millis(10000));
    CHECK(config.failover.maximum_lag_on_failover == 16ULL << 20);
    CHECK(config.fencing.mode == "quorum");
    CHECK(config.fencing.auto_rejoin);
    CHECK(config.events.timeout == Millis(30000));
    CHECK(config.daemon.listen == "127.0.0.1:8008");
    CHECK(config.daemon.state_dir == "/var/lib/pgha");
    CHECK(config.daemon.cluster_name == "pgha");
    CHECK(parse_config(minimal + "[daemon]\ncluster_name = \"prod\"\n", "x.toml").daemon.cluster_name == "prod");
}

TEST_CASE("every section of the design's sample is read") {
    auto config = parse_config(minimal + R"(
priority = 0
location = "dc2"
use_replication_slots = false
[failover]
mode = "manual"
monitor_interval = "500ms"
reconnect_attempts = 5
reconnect_interval = "2s"
lease_timeout = "1m"
maximum_lag_on_failover = "1GB"
[fencing]
mode = "ping"
ping_targets = ["127.0.0.1", "127.0.0.2"]
command = "/etc/pgha/hooks/fence %n"
auto_rejoin = false
[events]
command = "/etc/pgha/hooks/dns-update %n %e %s"
include = ["standby_promote"]
timeout = "5s"
[service]
start_command = "systemctl start postgresql@15-main"
[daemon]
listen = "127.0.0.1:9000"
log_level = "debug"
)",
                               "x.toml");
    CHECK(config.priority == 0);
    CHECK(config.location == "dc2");
    CHECK_FALSE(config.use_replication_slots);
    CHECK(config.failover.mode == "manual");
    CHECK(config.failover.monitor_interval == Millis(500));
    CHECK(config.failover.reconnect_attempts == 5);
    CHECK(config.failover.lease_timeout == Millis(60000));
    CHECK(config.failover.maximum_lag_on_failover == 1ULL << 30);
    CHECK(config.fencing.ping_targets == std::vector<std::string>{"127.0.0.1", "127.0.0.2"});
    CHECK_FALSE(config.fencing.auto_rejoin);
    CHECK(config.events.include == std::vector<std::string>{"standby_promote"});
    CHECK(config.events.timeout == Millis(5000));
    CHECK(config.service.start_command == "systemctl start postgresql@15-main");
    CHECK(config.daemon.listen == "127.0.0.1:9000");
}

TEST_CASE("config errors name the file, the line and the key") {
    struct Case { std::string text; std::vector<std::string> expected; };
    std::vector<Case> cases{
        {"node_id = 1\nnode_name = \"x", {"/etc/pgha/pgha.toml", "line 2", "syntax"}},
        {minimal + "node_nmae = \"x\"\n", {"line 5", "node_nmae", "did you mean \"node_name\""}},
        {minimal + "[failover]\nlease_timout = \"1s\"\n", {"line 6", "failover.lease_timout", "failover.lease_timeout"}},
        {minimal + "[nosuchsection]\nx = 1\n", {"nosuchsection", "unknown key"}},
        {"node_name = \"n\"\nconninfo = \"host=x\"\ndata_directory = \"/d\"\n", {"node_id", "missing required key"}},
        {minimal + "priority = \"high\"\n", {"line 5", "priority", "must be an integer"}},
        {"node_id = 0\nnode_name = \"n\"\nconninfo = \"host=x\"\ndata_directory = \"/d\"\n", {"line 1", "node_id", ">= 1"}},
        {minimal + "[failover]\nmonitor_interval = \"5 parsecs\"\n", {"line 6", "failover.monitor_interval", "duration"}},
        {minimal + "[failover]\nmonitor_interval = 5\n", {"failover.monitor_interval", "duration"}},
        {minimal + "[failover]\nmaximum_lag_on_failover = \"lots\"\n", {"maximum_lag_on_failover", "size"}},
        {minimal + "[fencing]\nmode = \"stonith\"\n", {"fencing.mode", "quorum, ping, off"}},
        {minimal + "use_replication_slots = \"yes\"\n", {"use_replication_slots", "true or false"}},
        {minimal + "failover = 3\n", {"failover", "must be a table"}},
        {"node_id = 1\nnode_name = \"n\"\nconninfo = \"host='x\"\ndata_directory = \"/d\"\n",
         {"line 3", "conninfo", "not a valid libpq connection string"}},
        {minimal + "[daemon]\ncluster_name = \"\"\n", {"line 6", "daemon.cluster_name", "must not be empty"}},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        auto text = error_of(c.text);
        REQUIRE_FALSE(text.empty());
        for (const auto& expected : c.expected) CHECK_THAT(text, Catch::Matchers::Contains(expected));
    }
}

TEST_CASE("a missing config file is a usage error naming the path") {
    try {
        load_config("/nonexistent/pgha.toml");
        FAIL("expected an error");
    } catch (const Error& error) {
        CHECK(error.code() == ExitCode::usage);
        CHECK_THAT(error.what(), Catch::Matchers::Contains("/nonexistent/pgha.toml"));
    }
}

TEST_CASE("[tags] holds strings; noloadbalance and nofailover are true or false") {
    auto config = parse_config(minimal + R"(
[tags]
dc = "east"
noloadbalance = "true"
nofailover = true
)", "x.toml");
    CHECK(config.tags == std::map<std::string, std::string>{{"dc", "east"}, {"noloadbalance", "true"},
                                                            {"nofailover", "true"}});
    CHECK(tag_true(config, "noloadbalance"));
    CHECK_FALSE(tag_true(config, "dc"));
    CHECK(parse_config(minimal, "x.toml").tags.empty());
    CHECK(parse_config("tags = { rack = \"r1\" }\n" + minimal, "x.toml").tags.at("rack") == "r1");
    CHECK(parse_config(minimal + "[tags]\nnoloadbalance = false\n", "x.toml").tags.at("noloadbalance") == "false");

    CHECK_THAT(error_of(minimal + "[tags]\nnoloadbalance = \"yes\"\n"),
               Catch::Contains("line 5: key \"tags\": noloadbalance must be \"true\" or \"false\""));
    CHECK_THAT(error_of(minimal + "[tags]\nrack = 3\n"), Catch::Contains("tag rack must be a string"));
    CHECK_THAT(error_of(minimal + "tags = \"east\"\n"), Catch::Contains("key \"tags\": must be a table of strings"));
}

TEST_CASE("nofailover = \"true\" stands as priority 0, whatever priority says") {
    auto config = parse_config(minimal + "priority = 50\n[tags]\nnofailover = \"true\"\n", "x.toml");
    CHECK(config.priority == 50);
    CHECK(effective_priority(config) == 0);
    // The decision core's priority: its own candidacy and the /peer/state answer peers rank it by.
    CHECK(core_settings(config).priority == 0);
    CHECK(effective_priority(parse_config(minimal + "priority = 50\n[tags]\nnofailover = \"false\"\n", "x.toml")) ==
          50);
    CHECK(effective_priority(parse_config(minimal + "priority = 50\n", "x.toml")) == 50);
}
