#include "actions/data_directory.hpp"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.hpp"

namespace pgha {
namespace fs = std::filesystem;

std::vector<std::string> directory_entries(const std::string& path) {
    std::vector<std::string> entries;
    std::error_code error;
    if (!fs::is_directory(path, error)) return entries;
    for (const auto& entry : fs::directory_iterator(path, error)) entries.push_back(entry.path().filename());
    return entries;
}

std::optional<long> running_postmaster(const std::string& data_directory) {
    std::ifstream pid_file(fs::path(data_directory) / "postmaster.pid");
    long pid = 0;
    if (!(pid_file >> pid) || pid <= 0) return std::nullopt;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return std::nullopt;
    // A killed postmaster whose parent has not reaped it yet is a zombie: not running.
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (std::getline(stat, line)) {
        auto close = line.rfind(')');
        if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') return std::nullopt;
    }
    return pid;
}

bool wait_postmaster_gone(const std::string& data_directory, std::chrono::milliseconds timeout) {
    std::ifstream pid_file(fs::path(data_directory) / "postmaster.pid");
    long pid = 0;
    if (!(pid_file >> pid) || pid <= 0) return true;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

bool wait_postmaster_stopped(const std::string& data_directory, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running_postmaster(data_directory)) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

void clear_directory(const std::string& path) {
    for (const auto& entry : fs::directory_iterator(path)) fs::remove_all(entry.path());
}

namespace {

std::string quoted_setting(const std::string& value) {
    std::string quoted = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') quoted += c;  // doubled, as ALTER SYSTEM writes them
        quoted += c;
    }
    return quoted + "'";
}

// "name = ..." or "name=..." at the start of a line (after blanks).
bool sets(const std::string& line, const std::string& name) {
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line.compare(start, name.size(), name) != 0) return false;
    auto rest = line.find_first_not_of(" \t", start + name.size());
    return rest != std::string::npos && line[rest] == '=';
}

}  // namespace

void replace_settings(const std::string& file, const std::vector<std::pair<std::string, std::string>>& settings) {
    std::vector<std::string> kept;
    {
        std::ifstream in(file);
        for (std::string line; std::getline(in, line);) {
            bool replaced = false;
            for (const auto& setting : settings) replaced = replaced || sets(line, setting.first);
            if (!replaced) kept.push_back(line);
        }
    }
    std::ofstream out(file, std::ios::trunc);
    for (const auto& line : kept) out << line << "\n";
    for (const auto& [name, value] : settings)
        if (!value.empty()) out << name << " = " << quoted_setting(value) << "\n";
    if (!out) throw Error(ExitCode::partial, "cannot write " + file);
}

void write_standby_settings(const std::string& data_directory, const std::string& primary_conninfo,
                            const std::optional<std::string>& slot) {
    std::ofstream(fs::path(data_directory) / "standby.signal").flush();
    // An empty value removes the setting (no slot).
    replace_settings((fs::path(data_directory) / "postgresql.auto.conf").string(),
                     {{"primary_conninfo", primary_conninfo}, {"primary_slot_name", slot.value_or("")}});
}

}  // namespace pgha
