// pgha daemon status | pause | unpause
#include <fmt/format.h>

#include "actions/daemon_control.hpp"
#include "command.hpp"
#include "core/error.hpp"
#include "output/render.hpp"
#include "report.hpp"

namespace pgha::cli {
namespace {

void run_pause(Invocation& in, ActionReport& report, bool paused) {
    auto verb = paused ? "pause" : "unpause";
    if (in.globals().dry_run)
        throw usage_error(fmt::format("pgha daemon {} has no --dry-run; nothing was changed", verb),
                          "\"pgha daemon status\" shows which daemons answer and whether they are paused");
    auto outcome = set_paused(in.config(), in.globals(), paused);
    report.detail("paused", paused);
    report.detail("done", outcome.done);
    report.detail("failed", outcome.failed);
    for (const auto& name : outcome.done)
        report.say(fmt::format("{}: automatic failover {}", name, paused ? "paused" : "resumed"));
    if (outcome.failed.empty()) return;
    throw Error(ExitCode::partial,
                fmt::format("{} applied to {} of {} daemons", verb, outcome.done.size(),
                            outcome.done.size() + outcome.failed.size()),
                fmt::format("{}", fmt::join(outcome.failed, "\n")),
                "start the daemons that did not answer and run the command again");
}

}  // namespace

std::vector<Command> daemon_commands() {
    return {
        {"daemon", "status", "show every node's daemon: running, paused, role, term, last primary contact, lease",
         "Asks each registered node's pghad (its [daemon] listen address, recorded at registration) for\n"
         "/status, all at once with a 2 s timeout each. --json gives node_id, node_name, running, paused,\n"
         "role, term, upstream, last_primary_contact_ms, fenced, lease_timeout_ms, lease_mismatch.\n"
         "A warning under the table names the nodes when their [failover] lease_timeout differs.",
         nullptr,
         [](Invocation& in) {
             print(render_daemons(daemon_status(in.config(), in.globals()), in.globals().format));
             return 0;
         }},
        {"daemon", "pause", "stop automatic failover cluster-wide (monitoring goes on)",
         "Tells every daemon (signed with [daemon] secret_file) to pause automatic failover; each keeps\n"
         "the flag on disk. Exit 4 when some daemons did not answer (they are named). --dry-run is refused\n"
         "(exit 1): \"pgha daemon status\" shows the daemons.",
         nullptr, nullptr, [](Invocation& in, ActionReport& report) { run_pause(in, report, true); }},
        {"daemon", "unpause", "resume automatic failover cluster-wide", "The reverse of pgha daemon pause.", nullptr,
         nullptr, [](Invocation& in, ActionReport& report) { run_pause(in, report, false); }},
    };
}

}  // namespace pgha::cli
