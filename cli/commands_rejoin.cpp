// pgha node rejoin
#include "actions/rejoin.hpp"
#include "command.hpp"
#include "report.hpp"

namespace pgha::cli {

std::vector<Command> rejoin_commands() {
    return {
        {"node", "rejoin", "bring a stopped former primary back as a standby (pg_rewind when needed)",
         "Run on the stopped node, with the current primary given by -d CONNINFO. Compares this node's\n"
         "WAL with the primary's timeline history; when it has WAL past the fork (or with --force-rewind)\n"
         "runs pg_rewind, keeping this node's own postgresql.conf, pg_hba.conf, pg_ident.conf and\n"
         "postgresql.auto.conf. Then writes standby.signal and primary_conninfo, starts PostgreSQL\n"
         "([service] start_command, else pg_ctl), waits until it streams from the primary, and records it\n"
         "as a standby (event node_rejoin). pg_rewind needs wal_log_hints = on or data checksums.\n"
         "--dry-run runs every check and changes nothing.",
         [](po::options_description& options) {
             options.add_options()("force-rewind", "run pg_rewind even when it does not look necessary");
         },
         nullptr,
         [](Invocation& in, ActionReport& report) {
             RejoinOptions rejoin;
             rejoin.force_rewind = in.has("force-rewind");
             auto outcome = rejoin_node(in.config(), in.globals(), rejoin);
             report.detail("upstream", detail_node(outcome.upstream));
             report.detail("rewind", outcome.rewind_needed);
             if (in.globals().dry_run)
                 return report.dry_run(outcome.checks,
                                       {outcome.rewind_needed ? "would run pg_rewind, then start as a standby"
                                                              : "would start as a standby (no pg_rewind needed)"});
             report.checks(outcome.checks);
             report.say(outcome.message);
         }},
    };
}

}  // namespace pgha::cli
