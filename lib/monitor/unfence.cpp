#include "monitor/unfence.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "actions/controldata.hpp"
#include "actions/data_directory.hpp"
#include "actions/history_record.hpp"
#include "actions/replication.hpp"
#include "actions/service.hpp"
#include "catalog/nodes.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/lsn.hpp"
#include "monitor/daemon_actions.hpp"
#include "pg/connection.hpp"

namespace pgha {
namespace {

using SteadyClock = std::chrono::steady_clock;

void stop_now(const Config& config, const std::string& why) {
    auto stopped = run_service(config, ServiceAction::stop_now, Millis(60000));
    log::warning("unfencing: {}; PostgreSQL stopped again: {}", why,
                 stopped.succeeded() ? "done" : stopped.describe() + " " + stopped.output);
}

// True once the server, in recovery, has replayed up to `end`.
bool replayed_to(const Config& config, Lsn end) {
    auto local = pg::Connection::open(config.conninfo, {std::chrono::seconds(2)});
    auto row = local.exec("SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)",
                          {format_lsn(end)});
    if (!row.boolean(0, 0)) throw Error(ExitCode::partial, "the server left recovery by itself");
    return row.boolean(0, 1);
}

}  // namespace

std::optional<std::string> start_in_recovery(const Config& config, std::chrono::milliseconds replay_timeout) {
    std::optional<Lsn> end;
    try {
        auto found = find_wal_end(config, config.data_directory, read_controldata(config, config.data_directory));
        if (found) end = found->lsn;
    } catch (const Error& error) {
        return std::string("cannot read pg_control: ") + error.what();
    }
    if (!end) return std::string("cannot tell where its WAL ends (pg_waldump)");
    auto signal = std::filesystem::path(config.data_directory) / "standby.signal";
    if (!std::ofstream(signal).flush()) return "cannot write " + signal.string();
    auto started = run_service(config, ServiceAction::start, Millis(120000));
    if (!started.succeeded()) {
        stop_now(config, "the start in recovery " + started.describe());
        return "PostgreSQL did not start in recovery: " + started.describe();
    }
    auto deadline = SteadyClock::now() + replay_timeout;
    std::string last_error;
    while (SteadyClock::now() < deadline) {
        try {
            if (replayed_to(config, *end)) return std::nullopt;
        } catch (const Error& error) {
            last_error = error.what();
            if (error.code() == ExitCode::partial) break;
            if (!running_postmaster(config.data_directory)) {
                last_error = "PostgreSQL stopped during recovery";
                break;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto why = fmt::format("it did not replay its WAL up to {} in time{}", format_lsn(*end),
                           last_error.empty() ? "" : " (" + last_error + ")");
    stop_now(config, why);
    return why;
}

namespace {

// The metadata still names this node primary of the term it led.
void record_unfence_history(const Config& config, const pg::Connection& local) {
    try {
        NodeRecord self;
        self.node_id = config.node_id;
        self.node_name = config.node_name;
        record_promotion_history(config, local, writing_timeline(local), "unfence", catalog::cluster_state(local).term,
                                 self);
    } catch (const Error& error) {
        log::warning("cluster history: the unfence is not recorded: {}", error.what());
    }
}

}  // namespace

std::optional<std::string> promote_unfenced(const Config& config, SteadyClock::time_point deadline) {
    std::string failure;
    try {
        auto local = pg::Connection::open(config.conninfo, {std::chrono::seconds(2)});
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(deadline - SteadyClock::now()).count();
        auto promoted = local.exec("SELECT pg_promote(true, $1::int)", {std::to_string(std::max<long>(1, seconds))});
        if (!promoted.boolean(0, 0)) failure = "pg_promote() did not finish in time";
        else if (SteadyClock::now() > deadline) failure = "the promotion finished after the new lease's margin";
        else record_unfence_history(config, local);
        // No CHECKPOINT here: it could outlast the lease while no heartbeat is sent, and the
        // other nodes never left this timeline (promotion requests one by itself).
    } catch (const Error& error) {
        failure = error.what();
    }
    if (failure.empty()) return std::nullopt;
    stop_now(config, failure);
    return failure;
}

void stop_after_failed_unfence(const Config& config) {
    auto stopped = run_service(config, ServiceAction::stop, Millis(60000));
    if (!stopped.succeeded()) stop_now(config, "a fast stop " + stopped.describe());
}

}  // namespace pgha
