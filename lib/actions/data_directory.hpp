#pragma once
// Facts about a local data directory, read without touching it.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pgha {

// Entries directly inside `path` (empty when it does not exist).
std::vector<std::string> directory_entries(const std::string& path);

// The PID in postmaster.pid when that process is alive.
std::optional<long> running_postmaster(const std::string& data_directory);

// Waits (bounded) until the process named in postmaster.pid no longer exists,
// not even as a zombie: PostgreSQL refuses to start while it does. True when gone.
bool wait_postmaster_gone(const std::string& data_directory, std::chrono::milliseconds timeout);

// Waits (bounded) until running_postmaster() finds none: the server has shut
// down (a zombie not yet reaped counts as stopped). True when stopped.
bool wait_postmaster_stopped(const std::string& data_directory, std::chrono::milliseconds timeout);

// Removes everything inside `path`, keeping the directory itself.
void clear_directory(const std::string& path);

// Sets `name = 'value'` lines in a postgresql.conf-style file (values quoted as
// ALTER SYSTEM does), replacing earlier lines for the same names.
void replace_settings(const std::string& file, const std::vector<std::pair<std::string, std::string>>& settings);

// Writes standby.signal and primary_conninfo (+ primary_slot_name, or removes
// it) into postgresql.auto.conf, so the server starts as a standby.
void write_standby_settings(const std::string& data_directory, const std::string& primary_conninfo,
                            const std::optional<std::string>& slot);

}  // namespace pgha
