#include "actions/rejoin.hpp"

#include <fmt/format.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "actions/connect.hpp"
#include "actions/controldata.hpp"
#include "actions/data_directory.hpp"
#include "actions/emit_event.hpp"
#include "actions/pg_tools.hpp"
#include "actions/register.hpp"
#include "actions/replication.hpp"
#include "actions/service.hpp"
#include "actions/timeline.hpp"
#include "actions/timeline_files.hpp"
#include "catalog/history.hpp"
#include "core/log.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "pg/conninfo.hpp"
#include "probe/probe.hpp"

namespace pgha {
namespace fs = std::filesystem;
namespace {

// Node-local configuration that pg_rewind would overwrite with the source's copy.
constexpr std::array<const char*, 4> config_files{"postgresql.conf", "pg_hba.conf", "pg_ident.conf", "postgresql.auto.conf"};

std::map<std::string, std::string> save_config_files(const std::string& data_directory) {
    std::map<std::string, std::string> saved;
    for (const auto* name : config_files) {
        std::ifstream in(fs::path(data_directory) / name, std::ios::binary);
        if (!in) continue;
        std::stringstream text;
        text << in.rdbuf();
        saved[name] = text.str();
    }
    return saved;
}

void restore_config_files(const std::string& data_directory, const std::map<std::string, std::string>& saved) {
    for (const auto& [name, text] : saved) std::ofstream(fs::path(data_directory) / name, std::ios::binary | std::ios::trunc) << text;
}

struct Plan {
    ControlData control;
    std::string target_conninfo;
    NodeRecord primary;  // the target's record
    bool rewind_needed = false;
    bool forced_rewind = false;
    int target_timeline = 0;
    // The primary's timeline that forked off this node's, and where this
    // node's WAL ended: the cluster history's WAL beyond the fork.
    std::optional<int> forked_timeline;
    Lsn wal_end = 0;
};

// The timeline that began where `node_timeline` ended in the target's history.
std::optional<int> child_of(int node_timeline, int target_timeline, const std::vector<TimelineSwitch>& history) {
    for (std::size_t i = 0; i < history.size(); ++i)
        if (history[i].timeline == node_timeline)
            return i + 1 < history.size() ? history[i + 1].timeline : target_timeline;
    return std::nullopt;
}

Check timeline_check(const Config& config, const pg::Connection& target, const std::string& target_conninfo,
                     const ControlData& control, const std::string& repluser, Plan& plan) {
    auto seen = observe(target);
    plan.target_timeline = seen.timeline.value_or(0);
    bool& rewind_needed = plan.rewind_needed;
    Check check{"this node's WAL compared with the primary's timeline history"};
    auto wal_end = find_wal_end(config, config.data_directory, control);
    if (!seen.timeline || !seen.lsn || !wal_end) {
        rewind_needed = true;
        check.passed = true;
        check.detail = "cannot tell where this node's WAL ends: pg_rewind will decide";
        return check;
    }
    auto history = timeline_history(target_conninfo, repluser, *seen.timeline);
    auto own_history = read_history_file(config.data_directory, wal_end->timeline);
    if (auto collision = own_history ? timeline_collision(wal_end->timeline, *own_history, *seen.timeline, history)
                                     : std::nullopt) {
        check.passed = false;
        check.detail = *collision + ", so pg_rewind would take the two for one";
        check.hint = "this data directory cannot be rewound onto the primary: re-clone it with "
                     "\"pgha standby clone --force\" (its data directory is replaced)";
        return check;
    }
    plan.forked_timeline = child_of(wal_end->timeline, *seen.timeline, history);
    plan.wal_end = wal_end->lsn;
    auto verdict = can_follow(wal_end->timeline, wal_end->lsn, *seen.timeline, *seen.lsn, history);
    rewind_needed = !verdict.can_follow;
    check.passed = true;
    check.detail = verdict.can_follow ? verdict.reason + "; no pg_rewind needed" : verdict.reason + "; pg_rewind needed";
    return check;
}

Checks plan_checks(const Config& config, const GlobalOptions& options, const RejoinOptions& rejoin, Plan& plan,
                   std::optional<pg::Connection>& target) {
    Checks checks;
    auto pid = running_postmaster(config.data_directory);
    checks.push_back({"PostgreSQL is stopped on this node", !pid,
                      pid ? fmt::format("a server (PID {}) runs in {}", *pid, config.data_directory) : "stopped",
                      "stop it first: pgha node service --action=stop (rejoin never touches a running server)"});
    plan.control = read_controldata(config, config.data_directory);
    plan.target_conninfo = conninfo_from_options(options, "primary (-d CONNINFO)");
    auto label = pg::conninfo_label(plan.target_conninfo);
    try {
        target = pg::Connection::open(plan.target_conninfo);
    } catch (const pg::ConnectError& error) {
        throw pg::ConnectError(ExitCode::connect, fmt::format("cannot connect to the primary at {}", label),
                               error.detail(), "give the current primary with -d 'host=... port=...'");
    }
    bool target_is_primary = !in_recovery(*target);
    checks.push_back({fmt::format("{} is a primary", label), target_is_primary,
                      target_is_primary ? "not in recovery" : "it is a standby (in recovery)",
                      "give the current primary with -d; \"pgha cluster show\" shows which node it is"});
    if (!target_is_primary) return checks;
    auto sysid = target->exec("SELECT system_identifier::text FROM pg_control_system()").value(0, 0);
    checks.push_back({"the primary belongs to the same cluster", sysid == plan.control.system_identifier,
                      fmt::format("system identifier here {}, on the primary {}", plan.control.system_identifier, sysid),
                      "this data directory is from another cluster: re-clone it with \"pgha standby clone --force\""});
    catalog::require_schema(*target);
    auto primary = catalog::find_active_primary(*target);
    checks.push_back({"the primary is registered", primary.has_value(),
                      primary ? fmt::format("\"{}\" (ID {})", primary->node_name, primary->node_id) : "no active primary in its metadata",
                      "register it with \"pgha primary register\""});
    if (primary) plan.primary = *primary;
    if (primary && primary->node_id == config.node_id)
        checks.push_back({"the primary is another node", false, "the metadata names this node as the primary",
                          "give the current primary with -d"});

    auto repluser = record_from_config(config, "standby", std::nullopt).repluser;
    checks.push_back(timeline_check(config, *target, plan.target_conninfo, plan.control, repluser, plan));
    plan.forced_rewind = rejoin.force_rewind && !plan.rewind_needed;
    if (rejoin.force_rewind) plan.rewind_needed = true;
    if (plan.rewind_needed && !rejoin.allow_rewind)
        checks.push_back({"no pg_rewind needed", false,
                          "this node's WAL went past the point where the primary's timeline forked, and pg_rewind "
                          "was not allowed",
                          "rejoin it with pg_rewind: \"pgha node rejoin --force-rewind -d CONNINFO\" on this node"});
    if (plan.rewind_needed) {
        bool possible = plan.control.wal_log_hints || plan.control.data_checksums;
        checks.push_back({"pg_rewind is possible", possible,
                          possible ? (plan.control.data_checksums ? "data checksums are on" : "wal_log_hints is on")
                                   : "neither wal_log_hints nor data checksums are on in this data directory, so "
                                     "pg_rewind cannot tell which pages changed",
                          "re-clone this node with \"pgha standby clone --force\" (its data directory is replaced); "
                          "set wal_log_hints = on on all nodes to allow pg_rewind next time"});
    }
    return checks;
}

void run_rewind(const Config& config, const Plan& plan, const pg::Connection& target) {
    // pg_rewind compares timelines from the source's control file, which a
    // freshly promoted primary only updates at its next checkpoint.
    if (control_timeline(target) != plan.target_timeline) checkpoint(target);
    auto saved = save_config_files(config.data_directory);
    auto result = run_process({pg_tool(config, "pg_rewind"), "-D", config.data_directory,
                               "--source-server=" + pg::redact_conninfo(plan.target_conninfo)},
                              {.timeout = Millis(3600 * 1000), .environment = password_environment(plan.target_conninfo)});
    restore_config_files(config.data_directory, saved);
    if (!result.succeeded())
        throw Error(ExitCode::partial, fmt::format("pg_rewind {}", result.describe()), result.output,
                    "the data directory may be inconsistent: re-clone it with \"pgha standby clone --force\"");
    if (result.output.find("no rewind required") != std::string::npos && !plan.forced_rewind)
        throw Error(ExitCode::partial, "pg_rewind found nothing to rewind, although this node's WAL forked",
                    result.output, "nothing was changed in the data directory; check the primary's timeline "
                                   "(\"pgha cluster show\") and run node rejoin again");
}

// One rejoin at a time on a node: the daemon's automatic one and an
// operator's would run pg_rewind and the start on one data directory. The
// lock lives in the daemon's state_dir; where that does not exist (no daemon
// ever ran here), nothing else can rejoin either.
class RejoinLock {
public:
    explicit RejoinLock(const Config& config) {
        auto path = (fs::path(config.daemon.state_dir) / "rejoin.lock").string();
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd_ < 0) return;
        if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
        ::close(fd_);
        fd_ = -1;
        throw refused("another rejoin of this node is running", fmt::format("{} is held", path),
                      "wait for it to finish (the daemon's automatic rejoin logs its progress), then check "
                      "\"pgha cluster show\"");
    }
    ~RejoinLock() {
        if (fd_ >= 0) ::close(fd_);  // releases the lock
    }
    RejoinLock(const RejoinLock&) = delete;
    RejoinLock& operator=(const RejoinLock&) = delete;

private:
    int fd_ = -1;
};

}  // namespace

RejoinOutcome rejoin_node(const Config& config, const GlobalOptions& options, const RejoinOptions& rejoin) {
    RejoinOutcome outcome;
    Plan plan;
    std::optional<pg::Connection> target;
    outcome.checks = plan_checks(config, options, rejoin, plan, target);
    outcome.rewind_needed = plan.rewind_needed;
    if (plan.primary.node_id != 0) outcome.upstream = plan.primary;
    if (options.dry_run) return outcome;
    throw_first_failure(outcome.checks, "node rejoin");
    RejoinLock lock(config);

    // A killed postmaster lingers as a zombie until its parent reaps it, and
    // both pg_rewind's single-user recovery and the start refuse its lock file.
    wait_postmaster_gone(config.data_directory, std::chrono::seconds(30));
    if (plan.rewind_needed) run_rewind(config, plan, *target);
    auto record = record_from_config(config, "standby", plan.primary.node_id);
    if (record.slot_name && config.use_replication_slots) ensure_slot(*target, *record.slot_name);
    write_standby_settings(config.data_directory,
                           primary_conninfo_for(plan.primary.conninfo, record.repluser, config.node_name),
                           config.use_replication_slots ? record.slot_name : std::nullopt);
    auto started = run_service(config, ServiceAction::start);
    if (!started.succeeded())
        throw Error(ExitCode::partial, fmt::format("PostgreSQL did not start: the start command {}", started.describe()),
                    started.output,
                    "the data directory is set up as a standby; fix the cause in the server log and start it");
    auto local = connect_local_waiting(config, std::chrono::seconds(60));
    if (!wait_streaming_from(local, plan.primary.conninfo, std::chrono::seconds(60), plan.target_timeline))
        throw Error(ExitCode::partial, "the server started as a standby but does not stream from the primary after 60 s",
                    {}, "check the server log; \"pgha cluster show\" shows its state");

    target->begin();
    if (catalog::find_node(*target, config.node_id)) catalog::set_standby_of(*target, config.node_id, plan.primary.node_id);
    else catalog::upsert_node(*target, record);
    target->commit();
    if (plan.forked_timeline) {  // best effort: the rejoin stands whatever the history says
        try {
            catalog::record_wal_beyond_fork(*target, *plan.forked_timeline, config.node_id, plan.wal_end);
        } catch (const Error& error) {
            log::warning("cluster history: where this node's WAL ended is not recorded: {}", error.what());
        }
    }
    outcome.message = fmt::format("node \"{}\" (ID {}) rejoined as a standby of \"{}\" (ID {}){}", config.node_name,
                                  config.node_id, plan.primary.node_name, plan.primary.node_id,
                                  plan.rewind_needed ? ", after pg_rewind" : ", without pg_rewind");
    auto event = make_event(config, "node_rejoin", true, outcome.message);
    event.peer_node_id = plan.primary.node_id;
    event.new_primary_conninfo = pg::redact_conninfo(plan.primary.conninfo);
    emit_event(config, &*target, std::move(event));
    return outcome;
}

}  // namespace pgha
