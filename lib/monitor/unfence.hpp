#pragma once
// Unfencing a primary that fenced itself while nobody else was elected, in
// two steps around a fresh quorum round, so that its PostgreSQL is never
// writable without a lease: crash recovery, however long, runs as a standby
// (standby.signal), and only the short promotion runs inside the new lease.
#include <chrono>
#include <optional>
#include <string>

#include "config/config.hpp"

namespace pgha {

// Step 1: starts the stopped server in recovery and waits until it has
// replayed its own WAL to the end (found with pg_waldump before the start),
// at most `replay_timeout`. Nullopt when done; else why not, with the server
// stopped again.
std::optional<std::string> start_in_recovery(const Config& config, std::chrono::milliseconds replay_timeout);

// Step 2, once a quorum acknowledged this node's term: promotes the server.
// If it is not writable before `deadline` (the new lease's end less its
// margin) it is stopped at once. Nullopt when it runs as primary, else why
// not. It returns as soon as pg_promote does: the lease that protects it is
// held by the daemon from then on (the event is recorded separately).
std::optional<std::string> promote_unfenced(const Config& config, std::chrono::steady_clock::time_point deadline);

// After step 1, when the quorum round failed: stops the server again.
void stop_after_failed_unfence(const Config& config);

}  // namespace pgha
