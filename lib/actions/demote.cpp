#include "actions/demote.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <vector>

#include "actions/connect.hpp"
#include "actions/controldata.hpp"
#include "actions/data_directory.hpp"
#include "actions/pg_tools.hpp"
#include "actions/service.hpp"
#include "core/error.hpp"
#include "process/command_line.hpp"

namespace pgha {
namespace {

using Clock = std::chrono::steady_clock;

Millis since(Clock::time_point start) { return std::chrono::duration_cast<Millis>(Clock::now() - start); }

bool accepts_writes(const Config& config) {
    try {
        auto local = pg::Connection::open(config.conninfo, {.default_timeout = std::chrono::seconds(2)});
        return !in_recovery(local);
    } catch (const Error&) {
        return false;
    }
}

// The stop did not finish in time: end with the node as the primary again.
DemoteOutcome abandon(const Config& config, const ProcessResult& stop, Millis timeout) {
    DemoteOutcome outcome;
    auto why = stop.succeeded() ? fmt::format("PostgreSQL did not stop within {} ms", timeout.count())
                                : fmt::format("the stop command {}", stop.describe());
    if (accepts_writes(config)) {
        outcome.running_as_primary = true;
        outcome.message = why + "; it still runs as the primary and accepts writes";
        return outcome;
    }
    // Down, or going down (a fast shutdown under way finishes first).
    if (!wait_postmaster_gone(config.data_directory, Millis(60000))) {
        outcome.message = why + "; it no longer accepts connections and has not exited after 60 s more";
        return outcome;
    }
    auto resumed = resume_primary(config);
    outcome.running_as_primary = resumed.running_as_primary;
    outcome.message = why + "; it went down after all: " + resumed.message;
    return outcome;
}

// "stop: pg_ctl (default)" or what is wrong with the configured command.
std::string check_program(const std::string& what, const std::string& command, const Config& config,
                          std::vector<std::string>& problems) {
    std::string program;
    try {
        program = command.empty() ? pg_tool(config, "pg_ctl") : split_command(command).at(0);
    } catch (const std::exception&) {
        problems.push_back(fmt::format("[service] {}_command cannot be split into words", what));
        return what + ": invalid";
    }
    if (!find_program(program))
        problems.push_back(fmt::format("{} program \"{}\" is not an executable file", what, program));
    return fmt::format("{}: {}{}", what, program, command.empty() ? " (default)" : "");
}

}  // namespace

DemoteOutcome demote_primary(const Config& config, Millis timeout) {
    if (!accepts_writes(config))
        return {.refused = true, .message = "PostgreSQL here is not a running primary; nothing was stopped"};
    auto start = Clock::now();
    auto stop = run_service(config, ServiceAction::stop_signal, timeout);
    auto left = std::max(Millis(0), timeout - since(start));
    if (!stop.succeeded() || !wait_postmaster_stopped(config.data_directory, left)) return abandon(config, stop, timeout);

    DemoteOutcome outcome;
    outcome.stopped = true;
    auto took = since(start).count();
    try {
        auto control = read_controldata(config, config.data_directory);
        outcome.clean = control.cluster_state == "shut down";
        outcome.checkpoint_lsn = control.checkpoint_lsn;
        outcome.timeline = control.timeline;
        outcome.message = fmt::format("PostgreSQL stopped in {} ms{}; its last checkpoint is at {} on timeline {}", took,
                                      outcome.clean ? " (clean shutdown)" : ", but not cleanly (\"" + control.cluster_state + "\")",
                                      format_lsn(control.checkpoint_lsn), control.timeline);
    } catch (const Error& error) {
        outcome.message = fmt::format("PostgreSQL stopped in {} ms, but its control file cannot be read: {}", took,
                                      error.what());
    }
    return outcome;
}

ResumeOutcome resume_primary(const Config& config) {
    auto started = run_service(config, ServiceAction::start);
    if (!started.succeeded())
        return {false, fmt::format("PostgreSQL could not be started again: the start command {}: {}", started.describe(),
                                   started.output)};
    try {
        auto local = connect_local_waiting(config, std::chrono::seconds(60));
        if (in_recovery(local)) return {false, "PostgreSQL was started again but runs in recovery, not as the primary"};
    } catch (const Error& error) {
        return {false, fmt::format("PostgreSQL was started again but does not accept connections: {}", error.what())};
    }
    return {true, "PostgreSQL was started again as the primary and accepts writes"};
}

ServiceReadiness service_readiness(const Config& config) {
    std::vector<std::string> problems;
    auto stop = check_program("stop", config.service.stop_command, config, problems);
    auto start = check_program("start", config.service.start_command, config, problems);
    if (!std::filesystem::is_directory(config.data_directory))
        problems.push_back(fmt::format("data_directory \"{}\" does not exist", config.data_directory));
    if (problems.empty()) return {true, stop + "; " + start};
    return {false, fmt::format("{}", fmt::join(problems, "; "))};
}

}  // namespace pgha
