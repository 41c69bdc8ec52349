#include "actions/data_directory.hpp"

#include <signal.h>

#include <filesystem>
#include <fstream>

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
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) return pid;
    return std::nullopt;
}

void clear_directory(const std::string& path) {
    for (const auto& entry : fs::directory_iterator(path)) fs::remove_all(entry.path());
}

void append_settings(const std::string& file, const std::vector<std::pair<std::string, std::string>>& settings) {
    std::ofstream out(file, std::ios::app);
    if (!out) throw Error(ExitCode::partial, "cannot write " + file);
    out << "\n# added by pgha standby clone\n";
    for (const auto& [name, value] : settings) {
        std::string quoted;
        for (char c : value) {
            if (c == '\'' || c == '\\') quoted += c;  // doubled, as ALTER SYSTEM writes them
            quoted += c;
        }
        out << name << " = '" << quoted << "'\n";
    }
    if (!out) throw Error(ExitCode::partial, "cannot write " + file);
}

}  // namespace pgha
