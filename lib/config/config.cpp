// The settings table drives parsing, type checks, validation and unknown-key
// detection. toml++ is used only in this file.
#include "config/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <functional>
#include <optional>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"
#include "pg/conninfo.hpp"

namespace pgha {
namespace {

using Problem = std::optional<std::string>;  // nullopt = value accepted
using Apply = std::function<Problem(const toml::node&, Config&)>;
using Show = std::function<std::string(const Config&)>;  // the value as a reload report shows it

struct Setting {
    std::string key;  // dotted path
    bool required;
    Apply apply;
    Show show;
};

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

template <typename Get>
Setting string_setting(std::string key, Get get, bool required = false,
                       std::vector<std::string> choices = {}) {
    return {std::move(key), required, [get, choices](const toml::node& node, Config& config) -> Problem {
                auto value = node.value<std::string>();
                if (!node.is_string() || !value) return "must be a string";
                if (!choices.empty() && std::find(choices.begin(), choices.end(), *value) == choices.end())
                    return fmt::format("must be one of: {}", fmt::join(choices, ", "));
                get(config) = *value;
                return std::nullopt;
            },
            [get](const Config& c) { return quoted(get(c)); }};
}

template <typename Get>
Setting integer_setting(std::string key, Get get, std::int64_t minimum, bool required = false) {
    return {std::move(key), required, [get, minimum](const toml::node& node, Config& config) -> Problem {
                if (!node.is_integer()) return "must be an integer";
                auto value = *node.value<std::int64_t>();
                if (value < minimum || value > std::numeric_limits<int>::max())
                    return fmt::format("must be an integer >= {}", minimum);
                get(config) = static_cast<int>(value);
                return std::nullopt;
            },
            [get](const Config& c) { return std::to_string(get(c)); }};
}

template <typename Get>
Setting boolean_setting(std::string key, Get get) {
    return {std::move(key), false, [get](const toml::node& node, Config& config) -> Problem {
                if (!node.is_boolean()) return "must be true or false";
                get(config) = *node.value<bool>();
                return std::nullopt;
            },
            [get](const Config& c) { return std::string(get(c) ? "true" : "false"); }};
}

template <typename Get>
Setting duration_setting(std::string key, Get get) {
    return {std::move(key), false, [get](const toml::node& node, Config& config) -> Problem {
                auto text = node.value<std::string>();
                std::optional<Millis> value;
                if (node.is_string() && text) value = parse_duration(*text);
                if (!value)
                    return std::string(
                        "must be a duration string with a unit, such as \"500ms\", \"2s\", \"1m\" or \"1h\"");
                get(config) = *value;
                return std::nullopt;
            },
            [get](const Config& c) { return quoted(format_duration(get(c))); }};
}

template <typename Get>
Setting size_setting(std::string key, Get get) {
    return {std::move(key), false, [get](const toml::node& node, Config& config) -> Problem {
                auto text = node.value<std::string>();
                std::optional<std::uint64_t> value;
                if (node.is_string() && text) value = parse_size(*text);
                if (!value)
                    return std::string("must be a size string with a unit, such as \"16MB\", \"512kB\" or \"1GB\"");
                get(config) = *value;
                return std::nullopt;
            },
            [get](const Config& c) { return quoted(format_size(get(c))); }};
}

template <typename Get>
Setting string_list_setting(std::string key, Get get) {
    return {std::move(key), false, [get](const toml::node& node, Config& config) -> Problem {
                const auto* array = node.as_array();
                if (!array) return "must be an array of strings";
                std::vector<std::string> values;
                for (const auto& element : *array) {
                    auto value = element.value<std::string>();
                    if (!element.is_string() || !value) return "must be an array of strings";
                    values.push_back(*value);
                }
                get(config) = std::move(values);
                return std::nullopt;
            },
            [get](const Config& c) { return fmt::format("[{}]", fmt::join(get(c), ", ")); }};
}

Problem validate_conninfo(const toml::node& node, Config& config) {
    auto value = node.value<std::string>();
    if (!node.is_string() || !value) return "must be a string";
    if (auto problem = pg::conninfo_problem(*value)) return "is not a valid libpq connection string: " + *problem;
    config.conninfo = *value;
    return std::nullopt;
}

#define FIELD(path) [](auto& c) -> auto& { return c.path; }

const std::vector<Setting>& settings() {
    static const std::vector<Setting> table = {
        integer_setting("node_id", FIELD(node_id), 1, true),
        string_setting("node_name", FIELD(node_name), true),
        Setting{"conninfo", true, validate_conninfo,
                [](const Config& c) { return quoted(pg::redact_conninfo(c.conninfo)); }},
        string_setting("data_directory", FIELD(data_directory), true),
        string_setting("pg_bindir", FIELD(pg_bindir)),
        string_setting("location", FIELD(location)),
        integer_setting("priority", FIELD(priority), 0),
        string_setting("replication_user", FIELD(replication_user)),
        boolean_setting("use_replication_slots", FIELD(use_replication_slots)),

        string_setting("failover.mode", FIELD(failover.mode), false, {"automatic", "manual"}),
        duration_setting("failover.monitor_interval", FIELD(failover.monitor_interval)),
        integer_setting("failover.reconnect_attempts", FIELD(failover.reconnect_attempts), 0),
        duration_setting("failover.reconnect_interval", FIELD(failover.reconnect_interval)),
        duration_setting("failover.lease_timeout", FIELD(failover.lease_timeout)),
        size_setting("failover.maximum_lag_on_failover", FIELD(failover.maximum_lag_on_failover)),

        string_setting("fencing.mode", FIELD(fencing.mode), false, {"quorum", "ping", "off"}),
        string_list_setting("fencing.ping_targets", FIELD(fencing.ping_targets)),
        string_setting("fencing.command", FIELD(fencing.command)),
        boolean_setting("fencing.auto_rejoin", FIELD(fencing.auto_rejoin)),

        string_setting("events.command", FIELD(events.command)),
        string_list_setting("events.include", FIELD(events.include)),
        duration_setting("events.timeout", FIELD(events.timeout)),

        string_setting("service.start_command", FIELD(service.start_command)),
        string_setting("service.stop_command", FIELD(service.stop_command)),
        string_setting("service.restart_command", FIELD(service.restart_command)),
        string_setting("service.reload_command", FIELD(service.reload_command)),

        string_setting("daemon.listen", FIELD(daemon.listen)),
        string_setting("daemon.secret_file", FIELD(daemon.secret_file)),
        string_setting("daemon.state_dir", FIELD(daemon.state_dir)),
        string_setting("daemon.log_level", FIELD(daemon.log_level), false,
                       {"debug", "info", "notice", "warning", "error"}),
        string_setting("daemon.log_file", FIELD(daemon.log_file)),
        duration_setting("daemon.history_interval", FIELD(daemon.history_interval)),
    };
    return table;
}

#undef FIELD

const Setting* find_setting(const std::string& key) {
    for (const auto& setting : settings())
        if (setting.key == key) return &setting;
    return nullptr;
}

bool is_section(const std::string& key) {
    auto prefix = key + ".";
    for (const auto& setting : settings())
        if (setting.key.starts_with(prefix)) return true;
    return false;
}

class Checker {
public:
    Checker(std::string path) : path_(std::move(path)) {}

    void problem(std::optional<std::uint32_t> line, const std::string& key, const std::string& text,
                 const std::string& hint = {}) {
        auto where = line ? fmt::format("{}, line {}", path_, *line) : path_;
        problems_.push_back(fmt::format("{}: key \"{}\": {}", where, key, text));
        if (!hint.empty() && hint_.empty()) hint_ = hint;
    }

    void walk(const toml::table& table, const std::string& prefix, Config& config, std::vector<std::string>& seen) {
        for (auto&& [name, node] : table) {
            auto key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
            auto line = node.source().begin.line;
            if (const auto* setting = find_setting(key)) {
                seen.push_back(key);
                if (auto text = setting->apply(node, config)) problem(line, key, *text);
            } else if (is_section(key)) {
                if (const auto* section = node.as_table()) walk(*section, key, config, seen);
                else problem(line, key, "must be a table ([" + key + "])");
            } else {
                auto suggestion = closest_match(key, config_keys());
                problem(line, key,
                        suggestion ? fmt::format("unknown key (did you mean \"{}\"?)", *suggestion)
                                   : std::string("unknown key"),
                        "valid keys are listed in conf/pgha.toml.sample and README.md");
            }
        }
    }

    void throw_if_any() const {
        if (problems_.empty()) return;
        throw Error(ExitCode::usage,
                    fmt::format("invalid configuration file \"{}\"", path_),
                    fmt::format("{}", fmt::join(problems_, "\n")),
                    hint_.empty() ? "fix the file and run the command again" : hint_);
    }

private:
    std::string path_;
    std::vector<std::string> problems_;
    std::string hint_;
};

}  // namespace

std::vector<std::string> config_keys() {
    std::vector<std::string> keys;
    for (const auto& setting : settings()) keys.push_back(setting.key);
    return keys;
}

std::vector<std::string> config_changes(const Config& before, const Config& after) {
    std::vector<std::string> changes;
    for (const auto& setting : settings()) {
        auto old_value = setting.show(before);
        auto new_value = setting.show(after);
        if (old_value != new_value) changes.push_back(fmt::format("{}: {} -> {}", setting.key, old_value, new_value));
    }
    return changes;
}

Config parse_config(const std::string& text, const std::string& source_path) {
    toml::table table;
    try {
        table = toml::parse(text, source_path);
    } catch (const toml::parse_error& error) {
        throw Error(ExitCode::usage, fmt::format("invalid configuration file \"{}\"", source_path),
                    fmt::format("{}, line {}, column {}: TOML syntax error: {}", source_path,
                                error.source().begin.line, error.source().begin.column,
                                error.description()),
                    "fix the TOML syntax at that line");
    }
    Config config;
    config.source_path = source_path;
    Checker checker(source_path);
    std::vector<std::string> seen;
    checker.walk(table, "", config, seen);
    for (const auto& setting : settings()) {
        if (setting.required && std::find(seen.begin(), seen.end(), setting.key) == seen.end())
            checker.problem(std::nullopt, setting.key, "missing required key",
                            fmt::format("add {} = ... to the file", setting.key));
    }
    if (config.node_name.empty() && std::find(seen.begin(), seen.end(), "node_name") != seen.end())
        checker.problem(table["node_name"].node()->source().begin.line, "node_name", "must not be empty");
    if (config.fencing.mode == "ping" && config.fencing.ping_targets.empty())
        checker.problem(std::nullopt, "fencing.ping_targets", "must list at least one address when fencing.mode = \"ping\"",
                        "add ping_targets = [\"10.0.0.1\"] (ICMP) or [\"10.0.0.1:53\"] (TCP connect) under [fencing]: "
                        "addresses that only a node on the clients' side of the network can reach");
    checker.throw_if_any();
    return config;
}

Config load_config(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw Error(ExitCode::usage, fmt::format("cannot read configuration file \"{}\"", path), {},
                    "pass the file with -f/--config-file or set PGHA_CONFIG");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return parse_config(buffer.str(), path);
}

}  // namespace pgha
