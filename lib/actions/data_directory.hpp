#pragma once
// Facts about a local data directory, read without touching it.
#include <optional>
#include <string>
#include <vector>

namespace pgha {

// Entries directly inside `path` (empty when it does not exist).
std::vector<std::string> directory_entries(const std::string& path);

// The PID in postmaster.pid when that process is alive.
std::optional<long> running_postmaster(const std::string& data_directory);

// Removes everything inside `path`, keeping the directory itself.
void clear_directory(const std::string& path);

// Appends `name = 'value'` lines (values quoted for postgresql.conf).
void append_settings(const std::string& file, const std::vector<std::pair<std::string, std::string>>& settings);

}  // namespace pgha
