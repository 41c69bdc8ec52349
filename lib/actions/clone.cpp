#include "actions/clone.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "actions/connect.hpp"
#include "actions/data_directory.hpp"
#include "actions/emit_event.hpp"
#include "actions/replication.hpp"
#include "actions/pg_tools.hpp"
#include "cluster/node.hpp"
#include "core/log.hpp"
#include "pg/conninfo.hpp"
#include "process/process.hpp"

namespace pgha {
namespace fs = std::filesystem;
namespace {

struct UpstreamFacts {
    int free_wal_senders = 0;
    int max_wal_senders = 0;
    int free_slots = 0;
    std::string wal_level;
    bool in_recovery = false;
    bool repluser_may_replicate = false;
    bool slot_exists = false;
};

UpstreamFacts read_upstream(const pg::Connection& upstream, const std::string& repluser, const std::string& slot) {
    auto row = upstream.exec(
        "SELECT current_setting('max_wal_senders')::int, "
        "       current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication)::int, "
        "       current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)::int, "
        "       current_setting('wal_level'), pg_is_in_recovery(), "
        "       coalesce((SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = $1), false), "
        "       EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $2)",
        pg::params(repluser, slot));
    UpstreamFacts facts;
    facts.max_wal_senders = static_cast<int>(*row.integer(0, 0));
    facts.free_wal_senders = static_cast<int>(*row.integer(0, 1));
    facts.free_slots = static_cast<int>(*row.integer(0, 2));
    facts.wal_level = row.value(0, 3);
    facts.in_recovery = row.boolean(0, 4);
    facts.repluser_may_replicate = row.boolean(0, 5);
    facts.slot_exists = row.boolean(0, 6);
    return facts;
}

Check check_target_directory(const std::string& target, bool force) {
    Check check{fmt::format("target data directory \"{}\" can be used", target)};
    auto entries = directory_entries(target);
    if (entries.empty()) {
        check.passed = true;
        check.detail = fs::exists(target) ? "it is empty" : "it does not exist and will be created";
    } else if (auto pid = running_postmaster(target)) {
        check.detail = fmt::format("a PostgreSQL server (PID {}) is running in it", *pid);
        check.hint = "stop that server first; pgha never overwrites a running server";
    } else if (!force) {
        check.detail = fmt::format("it is not empty ({} entries)", entries.size());
        check.hint = "use --force to delete its contents and clone into it, or set another data_directory";
    } else {
        check.passed = true;
        check.detail = fmt::format("it is not empty ({} entries); --force: its contents will be deleted",
                                   entries.size());
    }
    return check;
}

void add_upstream_checks(Checks& checks, const UpstreamFacts& facts, const std::string& repluser,
                         const std::string& slot, bool use_slots) {
    checks.push_back({"upstream wal_level allows streaming replication", facts.wal_level != "minimal",
                      "wal_level = " + facts.wal_level, "set wal_level = replica on the upstream and restart it"});
    checks.push_back({"upstream has free WAL senders", facts.free_wal_senders >= 2,
                      fmt::format("{} of max_wal_senders = {} free; the clone needs 2", facts.free_wal_senders,
                                  facts.max_wal_senders),
                      "raise max_wal_senders on the upstream (needs a restart)"});
    checks.push_back({fmt::format("user \"{}\" may replicate", repluser), facts.repluser_may_replicate,
                      facts.repluser_may_replicate ? "it has REPLICATION (or is a superuser)"
                                                   : "it lacks the REPLICATION attribute or does not exist",
                      fmt::format("ALTER ROLE {} REPLICATION on the upstream, or set replication_user", repluser)});
    if (use_slots)
        checks.push_back({fmt::format("replication slot \"{}\" available", slot),
                          facts.slot_exists || facts.free_slots >= 1,
                          facts.slot_exists ? "it exists already and will be reused"
                                            : fmt::format("{} free slot(s) on the upstream", facts.free_slots),
                          "raise max_replication_slots on the upstream, or set use_replication_slots = false"});
}

Check check_replication_connection(const std::string& replication_conninfo) {
    Check check{"replication connection to the upstream"};
    try {
        auto walsender = pg::Connection::open(replication_conninfo,
                                              {.replication = true});
        auto system = walsender.exec_command("IDENTIFY_SYSTEM");
        check.passed = true;
        check.detail = fmt::format("system identifier {}, timeline {}", system.value(0, 0), system.value(0, 1));
    } catch (const Error& error) {
        check.detail = error.detail().empty() ? error.what() : error.detail();
        check.hint = "allow the replication user in the upstream's pg_hba.conf (database \"replication\")";
    }
    return check;
}

// The event goes to the primary: the upstream itself, or the primary it knows.
void record_clone(const Config& config, const pg::Connection& upstream, bool upstream_in_recovery,
                  const std::string& message) {
    auto event = make_event(config, "standby_clone", true, message);
    if (!upstream_in_recovery) return emit_event(config, &upstream, std::move(event));
    try {
        auto primary = connect_primary(upstream);
        emit_event(config, &primary, std::move(event));
    } catch (const Error&) {
        emit_event(config, nullptr, std::move(event));
    }
}

}  // namespace

CloneOutcome clone_standby(const Config& config, const GlobalOptions& options, const CloneOptions& clone) {
    CloneOutcome outcome;
    auto& checks = outcome.checks;
    auto target = options.pgdata.value_or(config.data_directory);
    outcome.data_directory = target;
    checks.push_back(check_target_directory(target, options.force));

    auto upstream_conninfo = conninfo_from_options(options, "upstream server");
    auto label = pg::conninfo_label(upstream_conninfo);
    outcome.upstream = label;
    auto repluser = !config.replication_user.empty()
                        ? config.replication_user
                        : pg::conninfo_value(upstream_conninfo, "user").value_or("postgres");
    auto slot = slot_name_for(config.node_id);

    std::optional<pg::Connection> upstream;
    try {
        upstream = pg::Connection::open(upstream_conninfo);
        checks.push_back({"upstream " + label + " is reachable", true, "connected"});
    } catch (const pg::ConnectError& error) {
        if (!options.dry_run)
            throw pg::ConnectError(ExitCode::connect, fmt::format("cannot connect to the upstream at {}", label),
                                   error.detail(), "check -h/-p/-U/-d and that the upstream server is running");
        checks.push_back({"upstream " + label + " is reachable", false, error.detail(),
                          "check -h/-p/-U/-d and that the upstream server is running"});
        return outcome;
    }
    auto facts = read_upstream(*upstream, repluser, slot);
    add_upstream_checks(checks, facts, repluser, slot, config.use_replication_slots);
    auto replication_conninfo = pg::conninfo_with(upstream_conninfo, {{"user", repluser}});
    checks.push_back(check_replication_connection(replication_conninfo));
    if (options.dry_run) return outcome;
    throw_first_failure(checks, "standby clone");

    std::optional<std::string> used_slot;
    if (config.use_replication_slots) {
        ensure_slot(*upstream, slot);
        used_slot = slot;
    }
    fs::create_directories(target);
    fs::permissions(target, fs::perms::owner_all, fs::perm_options::replace);
    if (options.force) clear_directory(target);

    // The password (if any) goes by environment, never into the argv that `ps` shows.
    std::vector<std::string> argv{pg_tool(config, "pg_basebackup"), "-D", target, "-d",
                                  pg::redact_conninfo(replication_conninfo),
                                  "-X", "stream", "-c", clone.fast_checkpoint ? "fast" : "spread", "-w"};
    if (used_slot) argv.insert(argv.end(), {"-S", *used_slot});
    if (clone.show_progress) argv.push_back("-P");
    log::info("running pg_basebackup from {} into {}", label, target);
    auto result = run_process(argv, {.capture_output = !clone.show_progress,
                                     .environment = password_environment(replication_conninfo)});
    if (!result.succeeded())
        throw Error(ExitCode::partial, fmt::format("pg_basebackup from {} {}", label, result.describe()),
                    result.output,
                    fmt::format("\"{}\" may hold a partial copy; fix the cause and run the clone again with --force",
                                target));

    auto primary_conninfo = primary_conninfo_for(upstream_conninfo, repluser, config.node_name);
    write_standby_settings(target, primary_conninfo, used_slot);
    outcome.slot = used_slot;

    outcome.message = fmt::format("standby \"{}\" (ID {}) cloned from upstream {} into \"{}\"", config.node_name,
                                  config.node_id, label, target);
    record_clone(config, *upstream, facts.in_recovery, outcome.message);
    return outcome;
}

}  // namespace pgha
