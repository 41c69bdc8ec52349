#include "actions/timeline_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "core/error.hpp"

namespace pgha {
namespace fs = std::filesystem;
namespace {

fs::path history_path(const std::string& data_directory, int timeline) {
    return fs::path(data_directory) / "pg_wal" / fmt::format("{:08X}.history", timeline);
}

std::optional<std::string> read_text(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return std::nullopt;
    std::stringstream content;
    content << file.rdbuf();
    return content.str();
}

// Written to a temporary file, fsynced and renamed: never an empty history file under its name.
bool write_durably(const fs::path& path, const std::string& content) {
    auto temporary = path.string() + ".pgha-tmp";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
    ok = ::close(fd) == 0 && ok;
    if (ok && ::rename(temporary.c_str(), path.c_str()) == 0) return true;
    int saved = errno;
    ::unlink(temporary.c_str());
    errno = saved;
    return false;
}

void sync_directory(const std::string& directory) {
    int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

std::vector<int> history_file_timelines(const std::string& wal_directory) {
    std::vector<int> ids;
    std::error_code error;
    // Incremented with an error code: a directory that changes or vanishes meanwhile ends the scan, never throws.
    for (fs::directory_iterator it(wal_directory, error), end; !error && it != end; it.increment(error)) {
        auto name = it->path().filename().string();
        if (name.size() != 16 || !name.ends_with(".history")) continue;
        auto hex = name.substr(0, 8);
        if (hex.find_first_not_of("0123456789ABCDEFabcdef") != std::string::npos) continue;
        auto id = std::strtol(hex.c_str(), nullptr, 16);
        if (id > 0 && id < 0x7fffffff) ids.push_back(static_cast<int>(id));
    }
    return ids;
}

std::optional<std::vector<TimelineSwitch>> read_history_file(const std::string& data_directory, int timeline) {
    if (timeline <= 1) return std::vector<TimelineSwitch>{};
    auto content = read_text(history_path(data_directory, timeline));
    if (!content) return std::nullopt;
    return parse_timeline_history(*content);
}

int newest_known_timeline(const std::string& data_directory) {
    auto ids = history_file_timelines((fs::path(data_directory) / "pg_wal").string());
    return ids.empty() ? 1 : std::max(1, *std::max_element(ids.begin(), ids.end()));
}

std::vector<int> reserve_timelines(const std::string& data_directory, int through) {
    std::vector<int> written;
    int base = newest_known_timeline(data_directory);
    through = std::min(through, base + max_reserved);
    if (through <= base) return written;
    auto parent = base > 1 ? read_history_file(data_directory, base) : std::vector<TimelineSwitch>{};
    if (!parent) throw Error(ExitCode::partial, fmt::format("cannot read the history file of timeline {}", base));
    std::string content;
    for (const auto& entry : *parent) content += fmt::format("{}\t{}\tancestor\n", entry.timeline, format_lsn(entry.switchpoint));
    Lsn base_start = parent->empty() ? 1 : parent->back().switchpoint;  // 0/1: before any record
    content += fmt::format("{}\t{}\tnumber reserved by pgha, no WAL: another node started a timeline of it\n", base,
                           format_lsn(base_start));
    auto wal = (fs::path(data_directory) / "pg_wal").string();
    for (int timeline = base + 1; timeline <= through; ++timeline) {
        auto path = history_path(data_directory, timeline);
        if (!write_durably(path, content)) {
            release_timelines(data_directory, written);
            throw Error(ExitCode::partial, fmt::format("cannot write {}", path.string()), std::strerror(errno),
                        "check the permissions and free space of pg_wal");
        }
        written.push_back(timeline);
    }
    sync_directory(wal);
    return written;
}

void release_timelines(const std::string& data_directory, const std::vector<int>& reserved) {
    std::error_code ignored;
    for (int timeline : reserved) fs::remove(history_path(data_directory, timeline), ignored);
    sync_directory((fs::path(data_directory) / "pg_wal").string());
}

}  // namespace pgha
