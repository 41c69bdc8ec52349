// pgha cluster show | event | matrix | crosscheck | conninfo | cleanup
#include <nlohmann/json.hpp>

#include "actions/cluster_cleanup.hpp"
#include "actions/cluster_conninfo.hpp"
#include "actions/cluster_event.hpp"
#include "actions/cluster_history.hpp"
#include "actions/cluster_matrix.hpp"
#include "actions/cluster_show.hpp"
#include "command.hpp"
#include "output/render.hpp"
#include "report.hpp"

namespace pgha::cli {

std::vector<Command> cluster_commands() {
    return {
        {"cluster", "show", "show every registered node with its live state",
         "Reads the registered nodes (through this node, or -h/-d when it is down) and connects to all of\n"
         "them in parallel, so one connect timeout bounds the time however many nodes are down.\n"
         "Status is running, unreachable, mismatch (live role differs from the registered one), or\n"
         "fenced (PostgreSQL stopped by its own daemon, which says why).\n"
         "--csv and --json give stable machine-readable fields; passwords are never shown. Exit code 0\n"
         "even when nodes are unreachable (the output says so).",
         nullptr,
         [](Invocation& in) {
             print(render_cluster(show_cluster(in.config(), in.globals()), in.globals().format));
             return 0;
         }},
        {"cluster", "event", "show recorded events, newest first",
         "Lists pgha.events. Filter with --event TYPE and --node-id N; --limit N (default 20).",
         [](po::options_description& options) {
             options.add_options()("limit", po::value<int>()->default_value(20), "at most this many events")(
                 "event", po::value<std::string>(), "only events of this type, e.g. standby_register")(
                 "node-id", po::value<int>(), "only events of this node");
         },
         [](Invocation& in) {
             catalog::EventFilter filter;
             filter.limit = in.get<int>("limit").value_or(20);
             filter.event_type = in.get<std::string>("event");
             filter.node_id = in.get<int>("node-id");
             print(render_events(cluster_events(in.config(), in.globals(), filter), in.globals().format));
             return 0;
         }},
        {"cluster", "history", "show every timeline switch: failovers, switchovers, promotions, unfences",
         "Lists pgha.timeline_history, oldest first: when each timeline began, why (failover,\n"
         "switchover, manual_promote, unfence), the old and the new primary, the LSN where the parent\n"
         "timeline forked, and the WAL the old primary had beyond the fork (the data a failover lost,\n"
         "known once the old primary rejoined; 0 after a switchover).",
         nullptr,
         [](Invocation& in) {
             print(render_history(cluster_history(in.config(), in.globals()), in.globals().format));
             return 0;
         }},
        {"cluster", "matrix", "who can reach whom: this host and every node",
         "First row: this host connects to every active registered node (in parallel). Then every\n"
         "reachable node is asked to connect to every other node through the dblink extension, when it\n"
         "is installed in that node's database; otherwise its row is ? and a note says how to enable it\n"
         "(CREATE EXTENSION dblink in the pgha database on the primary). Each probe is bounded by the\n"
         "connect timeout. * reachable, x unreachable, ? unknown. --csv gives one row per source and\n"
         "target, --json an object. Exit code 0 unless the metadata cannot be read.",
         nullptr,
         [](Invocation& in) {
             print(render_matrix(build_matrix(in.config(), in.globals()), in.globals().format));
             return 0;
         }},
        {"cluster", "crosscheck", "per node: how many sources see it up, and the verdict",
         "Builds the same grid as \"cluster matrix\" and, for each node, says \"seen up by N of M\n"
         "sources\" (M: this host and the other nodes that could answer) with the verdict by majority:\n"
         "reachable, unreachable, or unknown (a tie, or no source could answer). Exit code 0 unless the\n"
         "metadata cannot be read.",
         nullptr,
         [](Invocation& in) {
             print(render_crosscheck(build_matrix(in.config(), in.globals()), in.globals().format));
             return 0;
         }},
        {"cluster", "conninfo", "print a libpq multi-host connection string for the cluster",
         "From the metadata (active primary and standbys, no witnesses, by node_id) prints e.g.\n"
         "  host=db1,db2,db3 port=5432,5432,5432 target_session_attrs=read-write\n"
         "--role primary (default) gives target_session_attrs=read-write, standby gives standby, any\n"
         "gives any. connect_timeout is added when this node's conninfo has one. Never a password.\n"
         "--json prints {\"conninfo\": ...}.",
         [](po::options_description& options) {
             options.add_options()("role", po::value<std::string>()->default_value("primary"),
                                   "primary, standby or any");
         },
         [](Invocation& in) {
             auto text = cluster_conninfo(in.config(), in.globals(), in.get<std::string>("role").value_or("primary"));
             if (in.globals().format == OutputFormat::json) text = nlohmann::json{{"conninfo", text}}.dump();
             print(text);
             return 0;
         }},
        {"cluster", "cleanup", "delete old monitoring history",
         "Deletes pgha.monitoring_history rows sampled more than DAYS days ago, on the primary (found\n"
         "through this node, or -h/-d), prints how many and records a cluster_cleanup event.\n"
         "--keep-history 0 deletes all history. --dry-run only counts the rows.",
         [](po::options_description& options) {
             options.add_options()("keep-history", po::value<int>(), "keep this many days of history (0 or more)");
         },
         nullptr,
         [](Invocation& in, ActionReport& report) {
             auto days = in.get<int>("keep-history");
             if (!days) throw usage_error("no --keep-history given", "for example --keep-history 30 (0 deletes all)");
             auto outcome = cleanup_history(in.config(), in.globals(), *days);
             report.detail("keep_days", std::int64_t{*days});
             report.detail("rows", outcome.rows);  // deleted; with --dry-run: that would be
             report.say(outcome.message);
         }},
    };
}

}  // namespace pgha::cli
