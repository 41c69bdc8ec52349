#pragma once
// The timeline history files in a data directory's pg_wal: which timelines this
// node knows of, and reserving timeline numbers before a promotion.
#include <optional>
#include <string>
#include <vector>

#include "actions/timeline.hpp"
#include "core/lsn.hpp"

namespace pgha {

// The ids of the NNNNNNNN.history files in `wal_directory` (unsorted; empty when unreadable).
std::vector<int> history_file_timelines(const std::string& wal_directory);

// The switches recorded in pg_wal's history file of `timeline`; an empty list
// for timeline 1, nullopt when the file is missing or malformed.
std::optional<std::vector<TimelineSwitch>> read_history_file(const std::string& data_directory, int timeline);

// The newest timeline this data directory has a history file of (1 if none).
int newest_known_timeline(const std::string& data_directory);

// PostgreSQL names a promotion's timeline after the newest history file in its
// own pg_wal, so two nodes promoted from the same timeline (an unfenced old
// primary, then an elected standby that never received its switch) both start
// "timeline N+1", and pg_rewind takes the two for one. A candidate that heard
// of timelines up to `through` writes placeholder history files up to it, so
// its promotion starts `through + 1`. Each placeholder forks its parent where
// the parent began: a standby that rescans for a newer timeline meanwhile
// refuses it ("forked off ... before current recovery point") and only the
// file's existence counts. At most `max_reserved` numbers; files written with
// fsync. Returns the placeholders written.
constexpr int max_reserved = 64;
std::vector<int> reserve_timelines(const std::string& data_directory, int through);

// Removes the placeholders of a promotion that did not happen, so that this
// node can later follow a real timeline of those numbers.
void release_timelines(const std::string& data_directory, const std::vector<int>& reserved);

}  // namespace pgha
