#pragma once
// The per-node configuration file (DESIGN.md section 4). Values here are parsed
// and validated; defaults are the member initializers (the settings table
// writes them as text too, and a unit test keeps the two and the sample equal).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/units.hpp"

namespace pgha {

struct FailoverSettings {
    std::string mode = "automatic";  // automatic | manual
    Millis monitor_interval{1000};
    int reconnect_attempts = 3;
    Millis reconnect_interval{1000};
    Millis lease_timeout{10000};
    std::uint64_t maximum_lag_on_failover = 16ULL << 20;
};

struct FencingSettings {
    std::string mode = "quorum";  // quorum | ping | off
    std::vector<std::string> ping_targets;
    std::string command;
    bool auto_rejoin = true;
};

struct EventSettings {
    std::string command;
    std::vector<std::string> include;  // empty = all events
    Millis timeout{30000};
};

struct ServiceSettings {
    std::string start_command;
    std::string stop_command;
    std::string restart_command;
    std::string reload_command;
};

struct DaemonSettings {
    std::string listen = "127.0.0.1:8008";
    std::string secret_file;
    std::string state_dir = "/var/lib/pgha";
    std::string log_level = "info";
    std::string log_file;
    Millis history_interval{10000};  // primary's pgha.monitoring_history samples; 0 = none
    std::string cluster_name = "pgha";  // the `cluster` label of every /metrics sample
};

struct Config {
    std::string source_path;  // the file this was loaded from

    int node_id = 0;
    std::string node_name;
    std::string conninfo;
    std::string data_directory;
    std::string pg_bindir;
    std::string location = "default";
    int priority = 100;
    std::string replication_user;  // empty: the user in conninfo
    bool use_replication_slots = true;
    // [tags]: free strings (/replica?tag_KEY=VALUE matches them, /status shows
    // them) and two with a meaning, kept as "true" or "false": noloadbalance
    // (out of /replica, /standby and /read-only) and nofailover (as priority 0).
    std::map<std::string, std::string> tags;

    FailoverSettings failover;
    FencingSettings fencing;
    EventSettings events;
    ServiceSettings service;
    DaemonSettings daemon;
};

// Whether the tag is set to "true" (noloadbalance, nofailover).
bool tag_true(const Config& config, const std::string& name);

// The priority this node stands for election with: 0 when the tag nofailover
// is "true", else `priority`. What the daemon uses and tells its peers.
int effective_priority(const Config& config);

// Throws pgha::Error (ExitCode::usage) naming the file, line and key of every
// problem found: syntax errors, unknown keys (with a "did you mean" hint),
// wrong types, bad durations or sizes, missing required keys.
Config load_config(const std::string& path);
Config parse_config(const std::string& text, const std::string& source_path);

// How a running pghad takes a changed setting on SIGHUP (config/reload.hpp).
enum class ReloadClass {
    reloadable,  // the new value applies from the next tick
    restart,     // bound or opened at start: the running value stays until pghad restarts
    identity,    // who this node is: a reload that changes it is refused as a whole
};

// One row of the settings table, without its TOML parser.
struct SettingInfo {
    using Show = std::function<std::string(const Config&)>;
    using Copy = std::function<void(const Config& from, Config& to)>;

    std::string key;  // dotted: "failover.lease_timeout"
    bool required = false;
    // TOML, as conf/pgha.toml.sample writes it ("\"10s\"", "100", "[]");
    // for a required key, which has no default, the sample's example.
    std::string default_text;
    ReloadClass reload = ReloadClass::reloadable;
    Show show;  // the value as reload reports show it (conninfo passwords removed)
    Copy copy;  // sets this setting of `to` to its value in `from`
};

// Every setting, in table order (which is the sample's order).
const std::vector<SettingInfo>& config_settings();

// Every valid key, dotted ("failover.lease_timeout"), in table order.
std::vector<std::string> config_keys();

// "key: old -> new" for every setting that differs (conninfo passwords removed).
std::vector<std::string> config_changes(const Config& before, const Config& after);

}  // namespace pgha
