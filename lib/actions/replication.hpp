#pragma once
// Replication plumbing shared by clone, follow and rejoin.
#include <optional>
#include <string>
#include <vector>

#include "actions/timeline.hpp"
#include "cluster/node.hpp"
#include "pg/connection.hpp"

namespace pgha {

// primary_conninfo for a standby of the server at `upstream_conninfo`: the
// replication user, application_name = the standby's node name, no dbname.
std::string primary_conninfo_for(const std::string& upstream_conninfo, const std::string& repluser,
                                 const std::string& application_name);

// PGPASSWORD for a child given this conninfo without its password (empty when none).
std::vector<std::pair<std::string, std::string>> password_environment(const std::string& conninfo);

// The history of `timeline` on the server at `conninfo` (TIMELINE_HISTORY over
// a replication connection); empty for timeline 1. Throws pgha::Error.
std::vector<TimelineSwitch> timeline_history(const std::string& conninfo, const std::string& repluser, int timeline);

// Creates the physical slot on `server` unless it exists.
void ensure_slot(const pg::Connection& server, const std::string& slot);

// True when the standby's WAL receiver streams from the server at `conninfo`
// (host and port compared) on `timeline` (when given): a receiver whose
// timeline forked is "streaming" for a moment at every retry, on the old one.
bool streams_from(const pg::Connection& standby, const std::string& conninfo, std::optional<int> timeline = {});

// Polls streams_from until true or `timeout` passes.
bool wait_streaming_from(const pg::Connection& standby, const std::string& conninfo, std::chrono::milliseconds timeout,
                         std::optional<int> timeline = {});

// The server's current timeline as its control file records it.
int control_timeline(const pg::Connection& server);

// The timeline of the WAL a primary writes now: right at once after a
// promotion, which pg_control names only after its next checkpoint.
int writing_timeline(const pg::Connection& primary);

// A new primary's control file keeps the old timeline until its first
// checkpoint after promotion, and pg_rewind reads the timeline there.
void checkpoint(const pg::Connection& server);

}  // namespace pgha
