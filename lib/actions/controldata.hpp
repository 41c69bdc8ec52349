#pragma once
// Facts about a stopped data directory, from pg_controldata and pg_waldump.
#include <map>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "core/lsn.hpp"

namespace pgha {

struct ControlData {
    std::string system_identifier;
    std::string cluster_state;  // "shut down", "in production", ...
    int timeline = 0;           // latest checkpoint's TimeLineID
    Lsn checkpoint_lsn = 0;
    Lsn redo_lsn = 0;
    bool wal_log_hints = false;
    bool data_checksums = false;
};

// Pure: parses `LC_ALL=C pg_controldata` output; nullopt when a field is missing.
std::optional<ControlData> parse_controldata(const std::string& output);

// Pure: where WAL ends, from `pg_waldump` output that ran to the end of WAL
// (its closing error names the position after the last valid record).
std::optional<Lsn> parse_wal_end(const std::string& output);

// Runs pg_controldata on the directory; throws pgha::Error(refused) on failure.
ControlData read_controldata(const Config& config, const std::string& data_directory);

struct WalEnd {
    int timeline = 0;  // the newest timeline pg_wal holds WAL of
    Lsn lsn = 0;
};

// The end of the WAL in a stopped data directory; nullopt when it cannot be
// told. A server promoted and stopped before its first checkpoint has WAL on
// a newer timeline than pg_control names: that one is read, from its
// switchpoint (its .history file) when the redo point is older.
std::optional<WalEnd> find_wal_end(const Config& config, const std::string& data_directory, const ControlData& control);

}  // namespace pgha
