#include "monitor/daemon_actions.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "actions/connect.hpp"
#include "actions/emit_event.hpp"
#include "actions/promote.hpp"
#include "actions/rejoin.hpp"
#include "actions/service.hpp"
#include "actions/timeline_files.hpp"
#include "catalog/nodes.hpp"
#include "core/log.hpp"
#include "hooks/notify.hpp"
#include "monitor/deadlines.hpp"
#include "monitor/event_queue.hpp"

namespace pgha {

void record_daemon_event(const Config& config, const std::string& type, bool successful, const std::string& details) {
    auto event = make_event(config, type, successful, details);
    std::optional<pg::Connection> primary;
    try {
        auto local = connect_local(config);
        primary.emplace(in_recovery(local) ? connect_primary(local) : std::move(local));
    } catch (const Error&) {
    }
    if (!record_in_catalog(primary ? &*primary : nullptr, event)) EventQueue(config.daemon.state_dir).push(event);
    run_event_hook(config.events, event);
}

void flush_pending_events(const Config& config, const std::vector<NodeRecord>& known) {
    EventQueue queue(config.daemon.state_dir);
    if (queue.empty()) return;
    // The registered primary first; any writable node will do (metadata may be stale).
    auto ordered = known;
    std::stable_partition(ordered.begin(), ordered.end(),
                          [](const NodeRecord& r) { return r.active && r.type == "primary"; });
    for (const auto& record : ordered) {
        try {
            auto connection = pg::Connection::open(record.conninfo, {.deadline = remote_deadline(config)});
            if (in_recovery(connection)) continue;
            queue.flush(connection);
            return;
        } catch (const Error&) {
        }
    }
}

bool promote_elected(const Config& config, std::int64_t term, std::size_t votes, int timeline_floor) {
    std::vector<int> reserved;
    std::string failure;
    try {
        auto local = connect_local(config);
        if (timeline_floor > newest_known_timeline(config.data_directory)) {
            reserved = reserve_timelines(config.data_directory, timeline_floor);
            if (!reserved.empty())
                log::info("a voter knows timeline {}, which this node never received: timeline numbers {}..{} "
                          "reserved, the promotion starts timeline {}",
                          timeline_floor, reserved.front(), reserved.back(), reserved.back() + 1);
        }
        auto records = catalog::list_nodes(local);
        auto outcome = promote_now(config, local, records, term, true, "failover");
        emit_event(config, &local,
                   make_event(config, "failover_election", true,
                              fmt::format("node \"{}\" (ID {}) elected primary in term {} with {} votes",
                                          config.node_name, config.node_id, term, votes)));
        for (const auto& message : outcome.messages) log::info("{}", message);
        for (const auto& failure : outcome.failures) log::warning("sibling could not follow: {}", failure);
        return true;
    } catch (const Error& error) {
        failure = error.what();
        log::warning("promotion after winning term {} failed: {} {}", term, error.what(), error.detail());
    } catch (const std::exception& error) {  // a worker thread must not end in std::terminate
        failure = error.what();
        log::warning("promotion after winning term {} failed: {}", term, error.what());
    }
    // Placeholders of a promotion that did not happen (PostgreSQL wrote no
    // newer history file) would stand for real timelines this node may have
    // to follow later.
    if (!reserved.empty() && newest_known_timeline(config.data_directory) == reserved.back())
        release_timelines(config.data_directory, reserved);
    record_daemon_event(config, "failover_election", false, fmt::format("promotion in term {} failed: {}", term, failure));
    return false;
}

void fence_node(const Config& config, const std::string& reason) {
    // PostgreSQL first: every millisecond it keeps running it may acknowledge
    // a write that a newer primary will never have. The hook (VIP, DNS,
    // STONITH of the clients' path) follows at once.
    auto stopped = run_service(config, ServiceAction::stop_now, Millis(60000));
    if (!stopped.succeeded())
        log::warning("fencing: stopping PostgreSQL {}: {}", stopped.describe(), stopped.output);
    if (!config.fencing.command.empty()) {
        EventSettings hook{config.fencing.command, {}, config.events.timeout};
        run_event_hook(hook, make_event(config, "fencing", true, reason));
    }
    // The event is recorded (where a primary is writable) and the events hook runs.
    record_daemon_event(config, "fencing", stopped.succeeded(),
                        fmt::format("fenced: {}; PostgreSQL {}", reason,
                                    stopped.succeeded() ? "stopped" : "could not be stopped: " + stopped.describe()));
}

void rejoin_as_standby(const Config& config, const std::string& conninfo) {
    try {
        GlobalOptions options;
        options.dbname = conninfo;
        auto outcome = rejoin_node(config, options, {});
        log::info("{}", outcome.message);
    } catch (const Error& error) {
        log::warning("automatic rejoin failed: {} {} {}", error.what(), error.detail(), error.hint());
        record_daemon_event(config, "node_rejoin", false, std::string("automatic rejoin failed: ") + error.what());
    }
}

}  // namespace pgha
