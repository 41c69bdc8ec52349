#pragma once
// node status: what this node's own server says about itself, its replication
// and its archiving, plus the lag against the primary.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actions/options.hpp"
#include "config/config.hpp"
#include "core/lsn.hpp"
#include "pg/connection.hpp"

namespace pgha {

struct SlotState {
    std::string name;
    std::string type;  // physical | logical
    bool active = false;
};

struct DownstreamState {
    std::string application_name;  // the standby's node_name (pgha writes it into primary_conninfo)
    std::string client_addr;
    std::string state;       // streaming | catchup | ...
    std::string sync_state;  // async | sync | ...
};

struct ArchiveState {
    std::string mode;  // archive_mode: off | on | always
    std::int64_t archived_count = 0;
    std::int64_t failed_count = 0;
    std::optional<std::string> last_failed_wal;
    std::optional<std::string> last_failed_time;
    std::optional<std::int64_t> ready_count;  // .ready files in pg_wal/archive_status
    std::optional<std::string> ready_error;   // why ready_count is unknown
};

struct NodeStatus {
    int node_id = 0;
    std::string node_name;
    std::optional<std::string> registered_type;  // from the metadata; nullopt: not registered
    std::string role;                            // live: primary | standby
    std::optional<int> timeline;
    std::optional<Lsn> current_lsn;   // primary: pg_current_wal_lsn()
    std::optional<Lsn> received_lsn;  // standby
    std::optional<Lsn> replayed_lsn;  // standby
    std::optional<std::int64_t> lag_bytes;  // standby: primary insert LSN minus own replay LSN
    std::optional<std::string> lag_error;   // why lag_bytes is unknown on a standby
    std::optional<double> replay_delay_seconds;  // standby: 0 when all received WAL is replayed
    std::optional<std::string> wal_receiver_status;
    std::optional<std::string> upstream;  // host:port the WAL receiver streams from
    std::optional<std::string> upstream_name;  // the registered node at that address
    std::vector<SlotState> slots;
    ArchiveState archive;
    std::vector<std::string> pending_restart;  // settings changed that need a restart
    std::vector<DownstreamState> downstream;   // pg_stat_replication
};

// Reads everything from `local` (this node's server) and, on a standby, the
// lag through the registered primary (an unreachable primary is recorded in
// lag_error, not thrown).
NodeStatus gather_node_status(const Config& config, const pg::Connection& local);

// Connects to this node (ConnectError, exit 2, when it is down) and gathers.
NodeStatus node_status(const Config& config);

}  // namespace pgha
