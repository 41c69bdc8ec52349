#include "actions/controldata.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>
#include <regex>
#include <sstream>

#include "actions/pg_tools.hpp"
#include "actions/timeline.hpp"
#include "actions/timeline_files.hpp"
#include "core/error.hpp"
#include "process/process.hpp"

namespace pgha {
namespace {

std::map<std::string, std::string> fields_of(const std::string& output) {
    std::map<std::string, std::string> fields;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto value = line.substr(colon + 1);
        auto start = value.find_first_not_of(' ');
        fields[line.substr(0, colon)] = start == std::string::npos ? "" : value.substr(start);
    }
    return fields;
}

}  // namespace

std::optional<ControlData> parse_controldata(const std::string& output) {
    auto fields = fields_of(output);
    auto get = [&](const char* name) -> std::optional<std::string> {
        auto it = fields.find(name);
        if (it == fields.end()) return std::nullopt;
        return it->second;
    };
    auto sysid = get("Database system identifier");
    auto state = get("Database cluster state");
    auto timeline = get("Latest checkpoint's TimeLineID");
    auto checkpoint = get("Latest checkpoint location");
    auto redo = get("Latest checkpoint's REDO location");
    auto hints = get("wal_log_hints setting");
    auto checksums = get("Data page checksum version");
    if (!sysid || !state || !timeline || !checkpoint || !redo || !hints || !checksums) return std::nullopt;
    auto checkpoint_lsn = parse_lsn(*checkpoint);
    auto redo_lsn = parse_lsn(*redo);
    if (!checkpoint_lsn || !redo_lsn) return std::nullopt;
    ControlData control;
    control.system_identifier = *sysid;
    control.cluster_state = *state;
    control.timeline = std::atoi(timeline->c_str());
    control.checkpoint_lsn = *checkpoint_lsn;
    control.redo_lsn = *redo_lsn;
    control.wal_log_hints = *hints == "on";
    control.data_checksums = *checksums != "0";
    return control;
}

std::optional<Lsn> parse_wal_end(const std::string& output) {
    // "error in WAL record at <start of the last valid record>: invalid record
    // length at <end of WAL>: ..." When only the record's start is named, its
    // end is unknown: start + 1 is the conservative answer (it is past `start`).
    static const std::regex position(R"(at ([0-9A-Fa-f]+/[0-9A-Fa-f]+))");
    std::optional<Lsn> end;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("error") == std::string::npos) continue;
        std::vector<Lsn> found;
        for (auto it = std::sregex_iterator(line.begin(), line.end(), position); it != std::sregex_iterator(); ++it)
            if (auto at = parse_lsn((*it)[1].str())) found.push_back(*at);
        if (found.empty()) continue;
        Lsn candidate = found.size() == 1 ? found.front() + 1 : *std::max_element(found.begin(), found.end());
        end = std::max(end.value_or(0), candidate);
    }
    return end;
}

ControlData read_controldata(const Config& config, const std::string& data_directory) {
    auto result = run_process({pg_tool(config, "pg_controldata"), "-D", data_directory},
                              {.timeout = Millis(30000), .environment = {{"LC_ALL", "C"}}});
    auto control = result.succeeded() ? parse_controldata(result.output) : std::nullopt;
    if (!control)
        throw refused(fmt::format("cannot read the control file of \"{}\"", data_directory),
                      fmt::format("pg_controldata {}: {}", result.describe(), result.output),
                      "check data_directory in the configuration file");
    return *control;
}

namespace {

// The newest timeline above `timeline` with a history file in pg_wal, and
// where it begins; nullopt when there is none (or it cannot be read).
std::optional<TimelineSwitch> newer_timeline(const std::string& data_directory, int timeline) {
    std::optional<TimelineSwitch> newest;
    auto wal = (std::filesystem::path(data_directory) / "pg_wal").string();
    for (int id : history_file_timelines(wal)) {
        if (id <= timeline || (newest && id <= newest->timeline)) continue;
        auto history = read_history_file(data_directory, id);
        if (!history || history->empty()) continue;
        newest = TimelineSwitch{id, history->back().switchpoint};
    }
    return newest;
}

}  // namespace

std::optional<WalEnd> find_wal_end(const Config& config, const std::string& data_directory, const ControlData& control) {
    auto wal = (std::filesystem::path(data_directory) / "pg_wal").string();
    WalEnd end{control.timeline, 0};
    auto start = control.redo_lsn;
    if (auto newer = newer_timeline(data_directory, control.timeline)) {
        end.timeline = newer->timeline;
        start = std::max(start, newer->switchpoint);
    }
    auto result = run_process({pg_tool(config, "pg_waldump"), "--quiet", "-p", wal, "-t",
                               std::to_string(end.timeline), "-s", format_lsn(start)},
                              {.timeout = Millis(120000), .environment = {{"LC_ALL", "C"}}});
    if (!result.started || result.timed_out) return std::nullopt;
    auto lsn = parse_wal_end(result.output);
    if (!lsn) return std::nullopt;
    end.lsn = *lsn;
    return end;
}

}  // namespace pgha
