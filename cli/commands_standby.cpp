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

// Standbys that could not follow a new primary: the action itself succeeded.
[[noreturn]] void throw_not_followed(const std::string& what, const std::vector<std::string>& failures) {
    throw Error(ExitCode::partial, what, fmt::format("{}", fmt::join(failures, "\n")),
                "run \"pgha standby follow\" on each of them (or \"pgha node rejoin\" where the hint says so)");
}

void run_clone(Invocation& in, ActionReport& report) {
    CloneOptions clone;
    clone.fast_checkpoint = in.has("fast-checkpoint");
    // pg_basebackup's progress goes to the terminal (stderr), never into --json.
    clone.show_progress = ::isatty(STDERR_FILENO) && !in.globals().dry_run && !report.json();
    auto outcome = clone_standby(in.config(), in.globals(), clone);
    report.detail("upstream_server", outcome.upstream);
    report.detail("data_directory", outcome.data_directory);
    if (in.globals().dry_run) return report.dry_run(outcome.checks, {});
    report.detail("slot", outcome.slot ? DetailValue(*outcome.slot) : DetailValue());
    report.checks(outcome.checks);
    report.say(outcome.message);
    report.say("next: start PostgreSQL on this node, then run \"pgha standby register\"");
}

void run_promote(Invocation& in, ActionReport& report) {
    PromoteOptions promote;
    promote.siblings_follow = in.has("siblings-follow");
    auto outcome = promote_standby(in.config(), in.globals(), promote);
    if (in.globals().dry_run) return report.dry_run(outcome.checks, outcome.messages);
    report.detail("term", outcome.term ? DetailValue(*outcome.term) : DetailValue());
    report.detail("timeline", outcome.timeline ? DetailValue(std::int64_t{*outcome.timeline}) : DetailValue());
    report.detail("old_primary", detail_node(outcome.old_primary));
    report.detail("siblings_followed", detail_nodes(outcome.followed));
    report.detail("siblings_failed", outcome.failures);
    report.checks(outcome.checks);
    for (const auto& message : outcome.messages) report.say(message);
    if (!outcome.failures.empty())
        throw_not_followed("this node was promoted, but some standbys could not follow it", outcome.failures);
}

void run_follow(Invocation& in, ActionReport& report) {
    auto outcome = follow_standby(in.config(), in.globals(), in.get<int>("upstream-node-id"));
    report.detail("upstream", node_ref(outcome.upstream));
    if (in.globals().dry_run) return report.dry_run(outcome.checks, {});
    if (outcome.streaming_after) report.timing("streaming_s", *outcome.streaming_after);
    report.checks(outcome.checks);
    report.say(outcome.message);
}

void run_switchover(Invocation& in, ActionReport& report) {
    SwitchoverOptions switchover;
    switchover.siblings_follow = in.has("siblings-follow");
    switchover.force_rewind = in.has("force-rewind");
    auto seconds = in.get<int>("stop-timeout").value_or(30);
    if (seconds < 1 || seconds > 3600) throw usage_error("--stop-timeout must be 1 to 3600 seconds");
    switchover.stop_timeout = Millis(seconds * 1000);
    switchover.progress = [&report](Millis at, const std::string& line) { report.step(at, line); };
    // A reader that goes away (| head) must not kill the switchover half way.
    std::signal(SIGPIPE, SIG_IGN);
    auto outcome = switchover_standby(in.config(), in.globals(), switchover);
    report.detail("old_primary", detail_node(outcome.old_primary));
    if (in.globals().dry_run) return report.dry_run(outcome.checks, outcome.plan);
    report.detail("term", outcome.term ? DetailValue(*outcome.term) : DetailValue());
    report.detail("siblings_failed", outcome.failures);
    report.checks(outcome.checks);
    if (!outcome.failures.empty())
        throw_not_followed("the switchover is done, but some standbys could not follow the new primary",
                           outcome.failures);
}

void run_register(Invocation& in, ActionReport& report) {
    StandbyRegisterOptions standby;
    standby.upstream_node_id = in.get<int>("upstream-node-id");
    standby.wait_start_seconds = in.get<int>("wait-start").value_or(0);
    auto outcome = register_standby(in.config(), in.globals(), standby);
    report.detail("upstream", detail_node(outcome.upstream));
    report.say(outcome.message);
}

void run_unregister(Invocation& in, ActionReport& report) {
    auto outcome = unregister_node(in.config(), in.globals(), "standby", in.get<int>("node-id"));
    report.node(node_ref(outcome.node));
    report.say(outcome.message);
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
         nullptr, run_clone},
        {"standby", "promote", "promote this standby to primary",
         "Promotes the local standby with pg_promote(), waits until it accepts writes, records it as the\n"
         "primary in a new term (the old primary's record becomes inactive) and records standby_promote.\n"
         "Refused (exit 3, nothing changed) while another registered node still runs as a writable primary,\n"
         "unless --force. --siblings-follow re-points every other standby to the new primary (no restart).\n"
         "--dry-run runs the checks and says what would happen.",
         [](po::options_description& options) {
             options.add_options()("siblings-follow", "make the other standbys follow the new primary");
         },
         nullptr, run_promote},
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
         nullptr, run_switchover},
        {"standby", "follow", "re-point this standby to the primary (or another upstream), no restart",
         "Sets primary_conninfo (and primary_slot_name) with ALTER SYSTEM and reloads: no restart. The\n"
         "target is the one registered node running as primary, or --upstream-node-id. Checks first that\n"
         "this standby's timeline has not forked from the target's (else refused with the node rejoin\n"
         "command to run), then waits until it streams from the target. Records standby_follow.",
         [](po::options_description& options) {
             options.add_options()("upstream-node-id", po::value<int>(), "node to follow (default: the primary)");
         },
         nullptr, run_follow},
        {"standby", "register", "register this standby in the metadata",
         "Checks that this node's server is in recovery and that its upstream is registered, then records\n"
         "it on the primary. --upstream-node-id defaults to the primary. --force overwrites an existing\n"
         "registration of this node ID. --wait-start waits up to SECS for this node's server to accept\n"
         "connections.",
         [](po::options_description& options) {
             options.add_options()("upstream-node-id", po::value<int>(), "node ID of the upstream (default: the primary)")(
                 "wait-start", po::value<int>()->default_value(0), "seconds to wait for this node to start");
         },
         nullptr, run_register},
        {"standby", "unregister", "remove a standby's registration",
         "Removes the record of this node (or --node-id) from the metadata. Refuses when other nodes use it\n"
         "as upstream, unless --force. Works while the standby is down (give the primary with -d/-h).",
         [](po::options_description& options) {
             options.add_options()("node-id", po::value<int>(), "the node to unregister (default: this node)");
         },
         nullptr, run_unregister},
    };
}

}  // namespace pgha::cli
