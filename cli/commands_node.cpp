// pgha node status | check | service   (node rejoin: cli/commands_rejoin.cpp)
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "actions/node_check.hpp"
#include "actions/node_service.hpp"
#include "actions/node_status.hpp"
#include "command.hpp"
#include "core/units.hpp"
#include "output/render.hpp"
#include "pg/connection.hpp"
#include "report.hpp"

namespace pgha::cli {
namespace {

struct CheckFlag {
    const char* option;
    CheckKind kind;
};
constexpr CheckFlag check_flags[] = {{"role", CheckKind::role},
                                     {"replication-lag", CheckKind::replication_lag},
                                     {"downstream", CheckKind::downstream},
                                     {"slots", CheckKind::slots},
                                     {"archive-ready", CheckKind::archive_ready}};

std::uint64_t parse_threshold(const std::string& option, const std::string& text, bool is_size) {
    if (is_size) {
        if (auto bytes = parse_size(text)) return *bytes;
        throw usage_error(fmt::format("--{} \"{}\" is not a size", option, text), "use a size such as 16MB or 512kB");
    }
    std::uint64_t count = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (ec != std::errc() || end != text.data() + text.size())
        throw usage_error(fmt::format("--{} \"{}\" is not a count", option, text), "use a whole number such as 16");
    return count;
}

// --warning/--critical apply to the one selected check that has thresholds.
void apply_thresholds(Invocation& in, NodeCheckOptions& options) {
    auto warning = in.get<std::string>("warning");
    auto critical = in.get<std::string>("critical");
    if (!warning && !critical) return;
    auto selected = [&](CheckKind kind) {
        return std::find(options.kinds.begin(), options.kinds.end(), kind) != options.kinds.end();
    };
    bool lag = selected(CheckKind::replication_lag), ready = selected(CheckKind::archive_ready);
    if (lag == ready)
        throw usage_error("--warning and --critical need exactly one of --replication-lag or --archive-ready",
                          "for example: pgha node check --replication-lag --warning 16MB --critical 64MB");
    Thresholds& thresholds = lag ? options.lag : options.archive_ready;
    if (warning) thresholds.warning = parse_threshold("warning", *warning, lag);
    if (critical) thresholds.critical = parse_threshold("critical", *critical, lag);
    if (thresholds.warning > thresholds.critical)
        throw usage_error("--warning must not be above --critical", "give a lower --warning or a higher --critical");
}

NodeCheckOptions check_options(Invocation& in) {
    NodeCheckOptions options;
    for (const auto& flag : check_flags)
        if (in.has(flag.option)) options.kinds.push_back(flag.kind);
    apply_thresholds(in, options);
    return options;
}

std::string nagios_failure(const std::vector<CheckKind>& kinds, CheckState state, const std::string& message) {
    std::vector<CheckResult> results;
    for (auto kind : kinds.empty() ? all_check_kinds() : kinds) results.push_back({kind, state, message, ""});
    return render_nagios(results);
}

int run_check(Invocation& in) {
    bool nagios = in.has("nagios");
    if (nagios && in.globals().format != OutputFormat::table)
        throw usage_error("--nagios cannot be combined with --csv or --json");
    std::vector<CheckKind> kinds;
    try {
        auto options = check_options(in);
        kinds = options.kinds;
        auto results = run_node_checks(in.config(), options);
        auto overall = overall_state(results);
        if (nagios) {
            print(render_nagios(results));
            return static_cast<int>(overall);
        }
        print(render_node_checks(results, in.globals().format));
        return overall == CheckState::ok ? 0 : static_cast<int>(ExitCode::refused);
    } catch (const pg::ConnectError& error) {
        if (!nagios) throw;
        print(nagios_failure(kinds, CheckState::critical,
                             fmt::format("{}{}", error.what(), error.detail().empty() ? "" : ": " + error.detail())));
        return static_cast<int>(CheckState::critical);
    } catch (const Error& error) {
        if (!nagios) throw;
        print(nagios_failure(kinds, CheckState::unknown, error.what()));
        return static_cast<int>(CheckState::unknown);
    }
}

void run_service(Invocation& in, ActionReport& report) {
    auto action = in.get<std::string>("action");
    if (!action) throw usage_error("no --action given", "use --action=start, stop, restart or reload");
    auto plan = plan_service(in.config(), *action, in.has("checkpoint"));
    report.detail("action", to_string(plan.action));
    report.detail("checkpoint", plan.checkpoint);
    report.detail("command", quote_argv(plan.argv));
    if (in.has("list-actions") || in.globals().dry_run) {
        std::vector<std::string> steps;
        if (plan.checkpoint) steps.push_back("CHECKPOINT on this node");
        steps.push_back(quote_argv(plan.argv));
        report.plan(steps);
        report.human((in.globals().dry_run ? "dry run: would run:\n" : "") + describe_service_plan(plan));
        return;
    }
    report.say(run_service_plan(in.config(), plan));
}

}  // namespace

std::vector<Command> node_commands() {
    return {
        {"node", "status", "show this node's role, replication, slots and archiving",
         "Connects to this node (conninfo in the configuration file) and shows: registered type and live\n"
         "role, timeline, current/received/replayed LSN, lag in bytes (a standby's replay LSN against\n"
         "the primary's insert LSN, read from the registered primary) and replay delay in seconds, WAL\n"
         "receiver status and upstream, replication slots (active/inactive), archiving (archive_mode,\n"
         "archived/failed counts, last failure, .ready files), settings pending a restart, and the\n"
         "standbys streaming from this node. --csv gives key,value rows, --json one object.\n"
         "Exit code 2 when this node cannot be connected.",
         nullptr,
         [](Invocation& in) {
             print(render_node_status(node_status(in.config()), in.globals().format));
             return 0;
         }},
        {"node", "check", "health checks of this node (Nagios-compatible with --nagios)",
         "Checks (all of them when none is selected):\n"
         "  --role             registered type vs live role; a mismatch is CRITICAL\n"
         "  --replication-lag  standby: bytes behind the primary (UNKNOWN when the primary cannot be\n"
         "                     read); thresholds are sizes, default --warning 16MB --critical 64MB;\n"
         "                     a primary is OK\n"
         "  --downstream       every active node registered with this node as upstream must be\n"
         "                     streaming from it (pg_stat_replication); missing ones are CRITICAL\n"
         "  --slots            inactive physical replication slots are CRITICAL\n"
         "  --archive-ready    WAL files waiting for archive_command (.ready files); thresholds are\n"
         "                     counts, default --warning 16 --critical 128\n"
         "--warning/--critical apply to the one selected check with thresholds (value >= threshold).\n"
         "Without --nagios: one \"check: STATE - message\" line per check (--json, --csv available);\n"
         "exit code 0 when all are OK, 3 otherwise, 2 when this node cannot be connected.\n"
         "With --nagios: one plugin line per check, e.g.\n"
         "  PGHA_REPLICATION_LAG WARNING - lag is 2.1MB | lag=2202009B;16777216;67108864\n"
         "and Nagios exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, the worst of all checks\n"
         "(CRITICAL > WARNING > UNKNOWN > OK); a node that cannot be connected is CRITICAL.",
         [](po::options_description& options) {
             options.add_options()("role", "check the live role against the registered type")(
                 "replication-lag", "check a standby's lag behind the primary")(
                 "downstream", "check that registered downstream nodes are streaming from this node")(
                 "slots", "check for inactive physical replication slots")(
                 "archive-ready", "check the number of WAL files waiting to be archived")(
                 "warning", po::value<std::string>(), "WARNING threshold (size for lag, count for archive-ready)")(
                 "critical", po::value<std::string>(), "CRITICAL threshold (size for lag, count for archive-ready)")(
                 "nagios", "Nagios plugin output and exit codes");
         },
         run_check},
        {"node", "service", "start, stop, restart or reload this node's PostgreSQL",
         "Runs the [service] command configured for the action (start_command, stop_command...), else\n"
         "pg_ctl on data_directory (-w; stop and restart use -m fast). No shell is involved.\n"
         "--checkpoint issues CHECKPOINT on this node first (stop and restart only), so that the\n"
         "shutdown checkpoint is quick. --dry-run and --list-actions print what would run and do\n"
         "nothing. A failing command gives exit code 4 with its output in DETAIL.",
         [](po::options_description& options) {
             options.add_options()("action", po::value<std::string>(), "start, stop, restart or reload")(
                 "checkpoint", "CHECKPOINT before stop or restart")(
                 "list-actions", "print the command that would run, and do nothing");
         },
         nullptr, run_service},
    };
}

}  // namespace pgha::cli
