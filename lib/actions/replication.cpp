#include "actions/replication.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <thread>

#include "actions/connect.hpp"
#include "pg/conninfo.hpp"

namespace pgha {
namespace {

std::string decode_bytea(const std::string& text) {
    if (!text.starts_with("\\x")) return text;
    std::string out;
    for (std::size_t i = 2; i + 1 < text.size(); i += 2) out += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
    return out;
}

}  // namespace

// A WAL receiver whose connection went through a partition can sit in TCP's
// retransmission backoff (up to 2 min between tries) long after the network
// healed; unacknowledged data for 10 s, or silent keepalives, break it so that
// the receiver reconnects (wal_retrieve_retry_interval). Unless the
// upstream's conninfo says otherwise.
constexpr std::pair<const char*, const char*> kReplicationLinkDefaults[] = {
    {"tcp_user_timeout", "10000"}, {"keepalives", "1"}, {"keepalives_idle", "5"},
    {"keepalives_interval", "2"}, {"keepalives_count", "3"}};

std::string primary_conninfo_for(const std::string& upstream_conninfo, const std::string& repluser,
                                 const std::string& application_name) {
    pg::ConninfoParams settings{{"user", repluser}, {"application_name", application_name}};
    for (auto [key, value] : kReplicationLinkDefaults)
        if (!pg::conninfo_value(upstream_conninfo, key)) settings.emplace_back(key, value);
    auto params = pg::parse_conninfo(pg::conninfo_with(upstream_conninfo, settings));
    std::erase_if(params, [](const auto& p) { return p.first == "dbname" || p.first == "replication"; });
    return pg::format_conninfo(params);
}

std::vector<std::pair<std::string, std::string>> password_environment(const std::string& conninfo) {
    if (auto password = pg::conninfo_value(conninfo, "password")) return {{"PGPASSWORD", *password}};
    return {};
}

std::vector<TimelineSwitch> timeline_history(const std::string& conninfo, const std::string& repluser, int timeline) {
    if (timeline <= 1) return {};
    auto replication_conninfo = pg::conninfo_with(conninfo, {{"user", repluser}});
    auto walsender = pg::Connection::open(replication_conninfo,
                                          {.replication = true});
    auto result = walsender.exec_command(fmt::format("TIMELINE_HISTORY {}", timeline));
    auto history = parse_timeline_history(decode_bytea(result.value(0, 1)));
    if (!history)
        throw refused(fmt::format("cannot parse the history of timeline {} from {}", timeline, walsender.label()));
    return *history;
}

void ensure_slot(const pg::Connection& server, const std::string& slot) {
    server.exec("SELECT pg_create_physical_replication_slot($1, true) "
                "WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)",
                pg::params(slot));
}

bool streams_from(const pg::Connection& standby, const std::string& conninfo, std::optional<int> timeline) {
    auto host = pg::conninfo_value(conninfo, "host").value_or("");
    auto port = pg::conninfo_value(conninfo, "port").value_or("5432");
    auto result = standby.exec(
        "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming' AND sender_host = $1 "
        "AND sender_port = $2::int AND ($3::int IS NULL OR received_tli = $3::int)",
        pg::params(host, port, timeline));
    return result.integer(0, 0).value_or(0) > 0;
}

bool wait_streaming_from(const pg::Connection& standby, const std::string& conninfo, std::chrono::milliseconds timeout,
                         std::optional<int> timeline) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!streams_from(standby, conninfo, timeline)) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

int control_timeline(const pg::Connection& server) {
    return static_cast<int>(server.exec("SELECT timeline_id FROM pg_control_checkpoint()").integer(0, 0).value_or(0));
}

int writing_timeline(const pg::Connection& primary) {
    auto file = primary.exec("SELECT pg_walfile_name(pg_current_wal_lsn())").value(0, 0);
    return static_cast<int>(std::strtol(file.substr(0, 8).c_str(), nullptr, 16));
}

void checkpoint(const pg::Connection& server) { server.exec("CHECKPOINT"); }

}  // namespace pgha
