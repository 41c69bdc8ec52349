// The settings table drives parsing, type checks, validation, unknown-key
// detection, the reload diff and classes (config/reload.cpp) and the sample
// config's check (tests/unit/test_config_sample.cpp). toml++ is used only here.
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

// A row of the table: what the rest of pgha may know (SettingInfo), and the
// parser that only this file, the only user of toml++, may see.
struct Setting {
    SettingInfo info;
    Apply apply;
};

// How one type of value is parsed, shown and copied.
struct Kind {
    Apply apply;
    SettingInfo::Show show;
    SettingInfo::Copy copy;
};

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

template <typename Get>
SettingInfo::Copy copier(Get get) {
    return [get](const Config& from, Config& to) { get(to) = get(from); };
}

template <typename Get>
Kind text(Get get, std::vector<std::string> choices = {}) {
    return {[get, choices](const toml::node& node, Config& config) -> Problem {
                auto value = node.value<std::string>();
                if (!node.is_string() || !value) return "must be a string";
                if (!choices.empty() && std::find(choices.begin(), choices.end(), *value) == choices.end())
                    return fmt::format("must be one of: {}", fmt::join(choices, ", "));
                get(config) = *value;
                return std::nullopt;
            },
            [get](const Config& c) { return quoted(get(c)); }, copier(get)};
}

template <typename Get>
Kind integer(Get get, std::int64_t minimum) {
    return {[get, minimum](const toml::node& node, Config& config) -> Problem {
                if (!node.is_integer()) return "must be an integer";
                auto value = *node.value<std::int64_t>();
                if (value < minimum || value > std::numeric_limits<int>::max())
                    return fmt::format("must be an integer >= {}", minimum);
                get(config) = static_cast<int>(value);
                return std::nullopt;
            },
            [get](const Config& c) { return std::to_string(get(c)); }, copier(get)};
}

template <typename Get>
Kind boolean(Get get) {
    return {[get](const toml::node& node, Config& config) -> Problem {
                if (!node.is_boolean()) return "must be true or false";
                get(config) = *node.value<bool>();
                return std::nullopt;
            },
            [get](const Config& c) { return std::string(get(c) ? "true" : "false"); }, copier(get)};
}

template <typename Get>
Kind duration(Get get) {
    return {[get](const toml::node& node, Config& config) -> Problem {
                auto text = node.value<std::string>();
                std::optional<Millis> value;
                if (node.is_string() && text) value = parse_duration(*text);
                if (!value)
                    return std::string(
                        "must be a duration string with a unit, such as \"500ms\", \"2s\", \"1m\" or \"1h\"");
                get(config) = *value;
                return std::nullopt;
            },
            [get](const Config& c) { return quoted(format_duration(get(c))); }, copier(get)};
}

template <typename Get>
Kind size(Get get) {
    return {[get](const toml::node& node, Config& config) -> Problem {
                auto text = node.value<std::string>();
                std::optional<std::uint64_t> value;
                if (node.is_string() && text) value = parse_size(*text);
                if (!value)
                    return std::string("must be a size string with a unit, such as \"16MB\", \"512kB\" or \"1GB\"");
                get(config) = *value;
                return std::nullopt;
            },
            [get](const Config& c) { return quoted(format_size(get(c))); }, copier(get)};
}

template <typename Get>
Kind text_list(Get get) {
    return {[get](const toml::node& node, Config& config) -> Problem {
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
            [get](const Config& c) { return fmt::format("[{}]", fmt::join(get(c), ", ")); }, copier(get)};
}

// [tags]: a table of strings; noloadbalance and nofailover also take a
// boolean and are kept as "true" or "false".
Kind tag_table() {
    return {[](const toml::node& node, Config& config) -> Problem {
                const auto* table = node.as_table();
                if (!table) return "must be a table of strings ([tags] with lines like dc = \"east\")";
                std::map<std::string, std::string> tags;
                for (auto&& [name, value] : *table) {
                    std::string key(name.str());
                    if (key.empty()) return "a tag's name must not be empty";
                    if (key == "noloadbalance" || key == "nofailover") {
                        auto text = value.value<std::string>();
                        if (value.is_boolean()) tags[key] = *value.value<bool>() ? "true" : "false";
                        else if (value.is_string() && text && (*text == "true" || *text == "false")) tags[key] = *text;
                        else return fmt::format("{} must be \"true\" or \"false\"", key);
                        continue;
                    }
                    auto text = value.value<std::string>();
                    if (!value.is_string() || !text)
                        return fmt::format("tag {} must be a string ({} = \"...\")", key, key);
                    tags[key] = *text;
                }
                config.tags = std::move(tags);
                return std::nullopt;
            },
            [](const Config& c) {
                std::vector<std::string> items;
                for (const auto& [key, value] : c.tags) items.push_back(fmt::format("{} = {}", key, quoted(value)));
                return fmt::format("{{{}}}", fmt::join(items, ", "));
            },
            [](const Config& from, Config& to) { to.tags = from.tags; }};
}

Kind conninfo() {
    return {[](const toml::node& node, Config& config) -> Problem {
                auto value = node.value<std::string>();
                if (!node.is_string() || !value) return "must be a string";
                if (auto problem = pg::conninfo_problem(*value))
                    return "is not a valid libpq connection string: " + *problem;
                config.conninfo = *value;
                return std::nullopt;
            },
            [](const Config& c) { return quoted(pg::redact_conninfo(c.conninfo)); },
            [](const Config& from, Config& to) { to.conninfo = from.conninfo; }};
}

Setting row(std::string key, std::string default_text, ReloadClass reload, Kind kind) {
    return {{std::move(key), false, std::move(default_text), reload, std::move(kind.show), std::move(kind.copy)},
            std::move(kind.apply)};
}

Setting required(std::string key, std::string example, ReloadClass reload, Kind kind) {
    auto setting = row(std::move(key), std::move(example), reload, std::move(kind));
    setting.info.required = true;
    return setting;
}

#define FIELD(path) [](auto& c) -> auto& { return c.path; }

// The order is conf/pgha.toml.sample's. Defaults are written as the sample
// writes them; a unit test checks them against Config's initializers and the sample.
const std::vector<Setting>& settings() {
    using enum ReloadClass;
    static const std::vector<Setting> table = {
        // key, default (for a required key: the sample's example), reload class, type
        required("node_id", "1", identity, integer(FIELD(node_id), 1)),
        required("node_name", R"("node1")", identity, text(FIELD(node_name))),
        required("conninfo", R"("host=db1 port=5432 user=pgha dbname=pgha connect_timeout=2")", reloadable,
                 conninfo()),
        required("data_directory", R"("/var/lib/postgresql/15/main")", reloadable, text(FIELD(data_directory))),
        row("pg_bindir", R"("")", reloadable, text(FIELD(pg_bindir))),
        row("location", R"("default")", reloadable, text(FIELD(location))),
        row("priority", "100", reloadable, integer(FIELD(priority), 0)),
        row("replication_user", R"("")", reloadable, text(FIELD(replication_user))),
        row("use_replication_slots", "true", reloadable, boolean(FIELD(use_replication_slots))),
        row("tags", "{}", reloadable, tag_table()),

        row("failover.mode", R"("automatic")", reloadable, text(FIELD(failover.mode), {"automatic", "manual"})),
        row("failover.monitor_interval", R"("1s")", reloadable, duration(FIELD(failover.monitor_interval))),
        row("failover.reconnect_attempts", "3", reloadable, integer(FIELD(failover.reconnect_attempts), 0)),
        row("failover.reconnect_interval", R"("1s")", reloadable, duration(FIELD(failover.reconnect_interval))),
        row("failover.lease_timeout", R"("10s")", reloadable, duration(FIELD(failover.lease_timeout))),
        row("failover.maximum_lag_on_failover", R"("16MB")", reloadable,
            size(FIELD(failover.maximum_lag_on_failover))),

        row("fencing.mode", R"("quorum")", reloadable, text(FIELD(fencing.mode), {"quorum", "ping", "off"})),
        row("fencing.ping_targets", "[]", reloadable, text_list(FIELD(fencing.ping_targets))),
        row("fencing.command", R"("")", reloadable, text(FIELD(fencing.command))),
        row("fencing.auto_rejoin", "true", reloadable, boolean(FIELD(fencing.auto_rejoin))),

        row("events.command", R"("")", reloadable, text(FIELD(events.command))),
        row("events.include", "[]", reloadable, text_list(FIELD(events.include))),
        row("events.timeout", R"("30s")", reloadable, duration(FIELD(events.timeout))),

        row("service.start_command", R"("")", reloadable, text(FIELD(service.start_command))),
        row("service.stop_command", R"("")", reloadable, text(FIELD(service.stop_command))),
        row("service.restart_command", R"("")", reloadable, text(FIELD(service.restart_command))),
        row("service.reload_command", R"("")", reloadable, text(FIELD(service.reload_command))),

        // What is bound or opened at start (the HTTP socket, the vote records,
        // the log file's path) keeps its running value until pghad restarts.
        row("daemon.listen", R"("127.0.0.1:8008")", restart, text(FIELD(daemon.listen))),
        row("daemon.secret_file", R"("")", reloadable, text(FIELD(daemon.secret_file))),
        row("daemon.state_dir", R"("/var/lib/pgha")", restart, text(FIELD(daemon.state_dir))),
        row("daemon.log_level", R"("info")", reloadable,
            text(FIELD(daemon.log_level), {"debug", "info", "notice", "warning", "error"})),
        row("daemon.log_file", R"("")", restart, text(FIELD(daemon.log_file))),
        row("daemon.history_interval", R"("10s")", reloadable, duration(FIELD(daemon.history_interval))),
        row("daemon.cluster_name", R"("pgha")", reloadable, text(FIELD(daemon.cluster_name))),
    };
    return table;
}

#undef FIELD

const Setting* find_setting(const std::string& key) {
    for (const auto& setting : settings())
        if (setting.info.key == key) return &setting;
    return nullptr;
}

bool is_section(const std::string& key) {
    auto prefix = key + ".";
    for (const auto& setting : settings())
        if (setting.info.key.starts_with(prefix)) return true;
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

bool tag_true(const Config& config, const std::string& name) {
    auto it = config.tags.find(name);
    return it != config.tags.end() && it->second == "true";
}

int effective_priority(const Config& config) { return tag_true(config, "nofailover") ? 0 : config.priority; }

const std::vector<SettingInfo>& config_settings() {
    static const std::vector<SettingInfo> infos = [] {
        std::vector<SettingInfo> out;
        for (const auto& setting : settings()) out.push_back(setting.info);
        return out;
    }();
    return infos;
}

std::vector<std::string> config_keys() {
    std::vector<std::string> keys;
    for (const auto& setting : settings()) keys.push_back(setting.info.key);
    return keys;
}

std::vector<std::string> config_changes(const Config& before, const Config& after) {
    std::vector<std::string> changes;
    for (const auto& setting : config_settings()) {
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
        if (setting.info.required && std::find(seen.begin(), seen.end(), setting.info.key) == seen.end())
            checker.problem(std::nullopt, setting.info.key, "missing required key",
                            fmt::format("add {} = ... to the file", setting.info.key));
    }
    if (config.node_name.empty() && std::find(seen.begin(), seen.end(), "node_name") != seen.end())
        checker.problem(table["node_name"].node()->source().begin.line, "node_name", "must not be empty");
    // Only a file can make it empty; an empty label value would drop the label.
    if (const auto* node = table["daemon"]["cluster_name"].node(); node && config.daemon.cluster_name.empty())
        checker.problem(node->source().begin.line, "daemon.cluster_name", "must not be empty",
                        "set cluster_name = \"...\" under [daemon], the same on every node (default \"pgha\")");
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
