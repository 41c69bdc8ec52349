#include "actions/timeline_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

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

}  // namespace

std::vector<int> history_file_timelines(const std::string& wal_directory) {
    std::vector<int> ids;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(wal_directory, error)) {
        auto name = entry.path().filename().string();
        if (name.size() != 16 || !name.ends_with(".history")) continue;
        auto hex = name.substr(0, 8);
        if (hex.find_first_not_of("0123456789ABCDEFabcdef") != std::string::npos) continue;
        ids.push_back(static_cast<int>(std::strtol(hex.c_str(), nullptr, 16)));
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

std::vector<int> reserve_timelines(const std::string& data_directory, int through, Lsn at) {
    std::vector<int> written;
    int base = newest_known_timeline(data_directory);
    if (through <= base) return written;
    std::string parent = base > 1 ? read_text(history_path(data_directory, base)).value_or("") : "";
    if (!parent.empty() && parent.back() != '\n') parent += '\n';
    auto content = parent + fmt::format("{}\t{}\tnumber reserved by pgha: another node started a timeline of it\n",
                                        base, format_lsn(at));
    for (int timeline = base + 1; timeline <= through; ++timeline) {
        auto path = history_path(data_directory, timeline);
        auto temporary = path.string() + ".pgha-tmp";
        {
            std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
            out << content;
            out.flush();
            if (!out)
                throw Error(ExitCode::partial, fmt::format("cannot write {}", temporary), {},
                            "check the permissions and free space of pg_wal");
        }
        fs::rename(temporary, path);
        written.push_back(timeline);
    }
    return written;
}

}  // namespace pgha
