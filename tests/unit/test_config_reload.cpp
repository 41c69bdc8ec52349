// plan_reload: what a SIGHUP does with a new configuration file.
#include <catch2/catch.hpp>

#include "config/reload.hpp"

using namespace pgha;

namespace {

Config running_config() {
    return parse_config(R"(node_id = 1
node_name = "node1"
conninfo = "host=127.0.0.1 port=5432 user=pgha dbname=pgha"
data_directory = "/var/lib/postgresql/15/main"
)",
                        "/etc/pgha/pgha.toml");
}

template <typename F>
Config changed(F change) {
    auto config = running_config();
    change(config);
    return config;
}

std::vector<std::string> keys_of(ReloadClass reload) {
    std::vector<std::string> keys;
    for (const auto& setting : config_settings())
        if (setting.reload == reload) keys.push_back(setting.key);
    return keys;
}

}  // namespace

TEST_CASE("the table classes identity and restart-only keys") {
    CHECK(keys_of(ReloadClass::identity) == std::vector<std::string>{"node_id", "node_name"});
    CHECK(keys_of(ReloadClass::restart) ==
          std::vector<std::string>{"daemon.listen", "daemon.state_dir", "daemon.log_file"});
}

TEST_CASE("a reload that changes the node's identity is refused and keeps the running config") {
    auto plan = plan_reload(running_config(), changed([](Config& c) {
                                c.node_name = "node9";
                                c.failover.lease_timeout = Millis(3000);
                            }));
    CHECK(plan.refused);
    CHECK(plan.refusal ==
          "reload refused, keeping the old configuration: node_id/node_name changed (1 \"node1\" -> 1 \"node9\"); "
          "a node's identity changes only with a restart of pghad");
    CHECK(plan.config.node_name == "node1");
    CHECK(plan.config.failover.lease_timeout == Millis(10000));
    CHECK(plan.changes.empty());
    CHECK(plan.restart_warnings.empty());

    CHECK(plan_reload(running_config(), changed([](Config& c) { c.node_id = 2; })).refused);
}

TEST_CASE("a restart-only key keeps its running value, with a warning") {
    auto plan = plan_reload(running_config(), changed([](Config& c) {
                                c.daemon.listen = "127.0.0.1:9000";
                                c.daemon.log_file = "/var/log/pghad.log";
                            }));
    CHECK_FALSE(plan.refused);
    CHECK(plan.restart_warnings ==
          std::vector<std::string>{"daemon.listen changed to \"127.0.0.1:9000\": takes effect when pghad restarts",
                                   "daemon.log_file changed to \"/var/log/pghad.log\": takes effect when pghad restarts"});
    CHECK(plan.config.daemon.listen == "127.0.0.1:8008");
    CHECK(plan.config.daemon.log_file.empty());
    CHECK(plan.changes.empty());
}

TEST_CASE("a reloadable key changes and is listed, passwords removed") {
    auto plan = plan_reload(running_config(), changed([](Config& c) {
                                c.failover.lease_timeout = Millis(3000);
                                c.conninfo = "host=127.0.0.1 port=5433 user=pgha dbname=pgha password=Sup3rS3cret";
                                c.daemon.state_dir = "/srv/pgha";
                            }));
    CHECK_FALSE(plan.refused);
    CHECK(plan.config.failover.lease_timeout == Millis(3000));
    CHECK(plan.config.daemon.state_dir == "/var/lib/pgha");
    REQUIRE(plan.changes.size() == 2);
    CHECK(plan.changes[0].find("conninfo: ") == 0);
    CHECK(plan.changes[0].find("Sup3rS3cret") == std::string::npos);
    CHECK(plan.changes[1] == "failover.lease_timeout: \"10s\" -> \"3s\"");
    CHECK(plan.restart_warnings ==
          std::vector<std::string>{"daemon.state_dir changed to \"/srv/pgha\": takes effect when pghad restarts"});
}

TEST_CASE("a reload of the same file changes nothing") {
    auto plan = plan_reload(running_config(), running_config());
    CHECK_FALSE(plan.refused);
    CHECK(plan.changes.empty());
    CHECK(plan.restart_warnings.empty());
}
