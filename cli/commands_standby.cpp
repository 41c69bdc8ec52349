// pgha standby clone | register | unregister | promote | follow | switchover
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>

#include "actions/clone.hpp"
#include "actions/register.hpp"
#include "command.hpp"
#include "core/error.hpp"
#include "actions/follow.hpp"
#include "actions/promote.hpp"
#include "actions/switchover.hpp"
#include "report.hpp"

namespace pgha::cli {
namespace {

int run_clone(Invocation& in) {
    CloneOptions clone;
    clone.fast_checkpoint = in.has("fast-checkpoint");
    clone.show_progress = ::isatty(STDERR_FILENO) && !in.globals().dry_run;
    auto outcome = clone_standby(in.config(), in.globals(), clone);
    if (in.globals().dry_run) return finish_dry_run(outcome.checks, {}, in.globals().format, "standby clone");
    print(outcome.message + "\n" +
          "next: start PostgreSQL on this node, then run \"pgha standby register\"\n");
    return 0;
}

int run_promote(Invocation& in) {
    PromoteOptions promote;
    promote.siblings_follow = in.has("siblings-follow");
    auto outcome = promote_standby(in.config(), in.globals(), promote);
    if (in.globals().dry_run)
        return finish_dry_run(outcome.checks, outcome.messages, in.globals().format, "standby promote");
    for (const auto& message : outcome.messages) print(message);
    if (outcome.failures.empty()) return 0;
    throw Error(ExitCode::partial, "this node was promoted, but some standbys could not follow it",
                fmt::format("{}", fmt::join(outcome.failures, "\n")),
                "run \"pgha standby follow\" on each of them (or \"pgha node rejoin\" where the hint says so)");
}

int run_follow(Invocation& in) {
    auto outcome = follow_standby(in.config(), in.globals(), in.get<int>("upstream-node-id"));
    if (in.globals().dry_run) return finish_dry_run(outcome.checks, {}, in.globals().format, "standby follow");
    print(outcome.message);
    return 0;
}

int run_switchover(Invocation& in) {
    SwitchoverOptions switchover;
    switchover.siblings_follow = in.has("siblings-follow");
    switchover.force_rewind = in.has("force-rewind");
    auto seconds = in.get<int>("stop-timeout").value_or(30);
    if (seconds < 1 || seconds > 3600) throw usage_error("--stop-timeout must be 1 to 3600 seconds");
    switchover.stop_timeout = Millis(seconds * 1000);
    switchover.progress = [](const std::string& line) { print(line); };
    // A reader that goes away (| head) must not kill the switchover half way.
    std::signal(SIGPIPE, SIG_IGN);
    auto outcome = switchover_standby(in.config(), in.globals(), switchover);
    if (in.globals().dry_run)
        return finish_dry_run(outcome.checks, outcome.plan, in.globals().format, "standby switchover");
    if (outcome.failures.empty()) return 0;
    throw Error(ExitCode::partial, "the switchover is done, but some standbys could not follow the new primary",
                fmt::format("{}", fmt::join(outcome.failures, "\n")),
                "run \"pgha standby follow\" on each of them (or \"pgha node rejoin\" where the hint says so)");
}

}  // namespace

std::vector<Command> standby_commands() {
    return {
        {"standby", "clone", "clone a standby's data directory from an upstream server",
         "Copies the upstream given by -h/-p/-U/-d into data_directory (or -D) with pg_basebackup\n"
         "(WAL streaming, progress on a terminal), then writes standby.signal and primary_conninfo,\n"
         "and primary_slot_name when use_replication_slots (the slot is created on the upstream).\n"
         "A non-empty data directory is refused unless --force (its contents are then deleted; a running\n"
         "server's directory is always refused). --dry-run checks the upstream, the credentials, free WAL\n"
         "senders and slots and the target directory, prints each check and changes nothing.",
         [](po::options_description& options) {
             options.add_options()("upstream-node-id", po::value<int>(), "node ID of the upstream (informational)")(
                 "fast-checkpoint,c", "ask the upstream for an immediate checkpoint (faster start)");
         },
         run_clone},
        {"standby", "promote", "promote this standby to primary",
         "Promotes the local standby with pg_promote(), waits until it accepts writes, records it as the\n"
         "primary in a new term (the old primary's record becomes inactive) and records standby_promote.\n"
         "Refused (exit 3, nothing changed) while another registered node still runs as a writable primary,\n"
         "unless --force. --siblings-follow re-points every other standby to the new primary (no restart).\n"
         "--dry-run runs the checks and says what would happen.",
         [](po::options_description& options) {
             options.add_options()("siblings-follow", "make the other standbys follow the new primary");
         },
         run_promote},
        {"standby", "switchover", "make this standby the primary and the primary its standby, through the daemons",
         "Run on the standby that should become the primary; needs pghad on every node (no SSH) and\n"
         "[daemon] secret_file. Holds automatic failover on every daemon, runs CHECKPOINT on the primary, has\n"
         "the primary's daemon stop it cleanly, confirms that this node has received its shutdown checkpoint,\n"
         "promotes this node in a new term, and has the old primary's daemon start it as a standby of this\n"
         "node (no pg_rewind after a clean handover). --siblings-follow re-points the other standbys without a\n"
         "restart. Records standby_switchover (and standby_promote, node_rejoin, standby_follow).\n"
         "--dry-run runs every check (nodes and daemons reachable, not paused, this node streaming on the\n"
         "primary's timeline with little lag, pg_rewind fallback, [service] commands of the primary, free WAL\n"
         "senders and slots here) and changes nothing. Refused (exit 3) when a check fails. Exit 4 when it\n"
         "fails part way: if the primary does not stop within --stop-timeout, or this node cannot be\n"
         "promoted, the old primary ends as the primary again and the message says so. --force-rewind\n"
         "promotes even when the clean handover cannot be confirmed, and lets the old primary be rewound.",
         [](po::options_description& options) {
             options.add_options()("siblings-follow", "make the other standbys follow the new primary (no restart)")(
                 "force-rewind", "allow pg_rewind of the old primary when the clean handover cannot be confirmed")(
                 "stop-timeout", po::value<int>()->default_value(30), "seconds the old primary may take to stop");
         },
         run_switchover},
        {"standby", "follow", "re-point this standby to the primary (or another upstream), no restart",
         "Sets primary_conninfo (and primary_slot_name) with ALTER SYSTEM and reloads: no restart. The\n"
         "target is the one registered node running as primary, or --upstream-node-id. Checks first that\n"
         "this standby's timeline has not forked from the target's (else refused with the node rejoin\n"
         "command to run), then waits until it streams from the target. Records standby_follow.",
         [](po::options_description& options) {
             options.add_options()("upstream-node-id", po::value<int>(), "node to follow (default: the primary)");
         },
         run_follow},
        {"standby", "register", "register this standby in the metadata",
         "Checks that this node's server is in recovery and that its upstream is registered, then records\n"
         "it on the primary. --upstream-node-id defaults to the primary. --force overwrites an existing\n"
         "registration of this node ID. --wait-start waits up to SECS for this node's server to accept\n"
         "connections.",
         [](po::options_description& options) {
             options.add_options()("upstream-node-id", po::value<int>(), "node ID of the upstream (default: the primary)")(
                 "wait-start", po::value<int>()->default_value(0), "seconds to wait for this node to start");
         },
         [](Invocation& in) {
             StandbyRegisterOptions standby;
             standby.upstream_node_id = in.get<int>("upstream-node-id");
             standby.wait_start_seconds = in.get<int>("wait-start").value_or(0);
             print(register_standby(in.config(), in.globals(), standby) + "\n");
             return 0;
         }},
        {"standby", "unregister", "remove a standby's registration",
         "Removes the record of this node (or --node-id) from the metadata. Refuses when other nodes use it\n"
         "as upstream, unless --force. Works while the standby is down (give the primary with -d/-h).",
         [](po::options_description& options) {
             options.add_options()("node-id", po::value<int>(), "the node to unregister (default: this node)");
         },
         [](Invocation& in) {
             print(unregister_node(in.config(), in.globals(), "standby", in.get<int>("node-id")) + "\n");
             return 0;
         }},
    };
}

}  // namespace pgha::cli
