#include "probe/probe.hpp"

#include <future>

namespace pgha {
namespace {

// One round trip. On a primary the timeline comes from the current WAL file name
// (pg_control's copy lags until the next checkpoint); on a standby from the WAL
// receiver, else from the last restartpoint.
constexpr const char* observe_sql = R"SQL(
SELECT r AS in_recovery,
       CASE WHEN r THEN coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::text
            ELSE pg_current_wal_lsn()::text END AS lsn,
       CASE WHEN r THEN pg_last_wal_replay_lsn()::text END AS replay_lsn,
       CASE WHEN r THEN coalesce(w.received_tli, (SELECT timeline_id FROM pg_control_checkpoint()))
            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline,
       coalesce(w.status = 'streaming', false) AS streaming,
       w.sender_host, w.sender_port,
       CASE WHEN NOT r THEN pg_current_wal_insert_lsn()::text END AS insert_lsn
  FROM (SELECT pg_is_in_recovery() AS r) AS recovery
  LEFT JOIN pg_stat_wal_receiver AS w ON true
)SQL";

}  // namespace

NodeObservation observe(const pg::Connection& connection) {
    auto result = connection.exec(observe_sql);
    NodeObservation seen;
    seen.reachable = true;
    if (result.rows() == 0) return seen;
    seen.in_recovery = result.boolean(0, 0);
    if (auto text = result.optional(0, 1)) seen.lsn = parse_lsn(*text);
    if (auto text = result.optional(0, 2)) seen.replay_lsn = parse_lsn(*text);
    if (auto tli = result.integer(0, 3)) seen.timeline = static_cast<int>(*tli);
    seen.streaming = result.boolean(0, 4);
    seen.sender_host = result.optional(0, 5);
    if (auto port = result.integer(0, 6)) seen.sender_port = static_cast<int>(*port);
    if (auto text = result.optional(0, 7)) seen.insert_lsn = parse_lsn(*text);
    return seen;
}

namespace {

NodeObservation observe_with(const std::string& conninfo, const pg::ConnectOptions& options) {
    try {
        auto connection = pg::Connection::open(conninfo, options);
        return observe(connection);
    } catch (const Error& error) {
        NodeObservation seen;
        seen.error = error.detail().empty() ? error.what() : std::string(error.what()) + ": " + error.detail();
        return seen;
    }
}

}  // namespace

NodeObservation observe(const std::string& conninfo, std::chrono::seconds default_timeout) {
    return observe_with(conninfo, {.default_timeout = default_timeout});
}

NodeObservation observe_within(const std::string& conninfo, std::chrono::milliseconds deadline) {
    return observe_with(conninfo, {.deadline = deadline});
}

std::vector<NodeObservation> observe_all(const std::vector<NodeRecord>& nodes,
                                         std::chrono::seconds default_timeout) {
    std::vector<std::future<NodeObservation>> pending;
    pending.reserve(nodes.size());
    for (const auto& node : nodes)
        pending.push_back(std::async(std::launch::async, [conninfo = node.conninfo, default_timeout] {
            return observe(conninfo, default_timeout);
        }));
    std::vector<NodeObservation> seen;
    seen.reserve(nodes.size());
    for (auto& future : pending) seen.push_back(future.get());
    return seen;
}

}  // namespace pgha
