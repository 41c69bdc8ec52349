#include "actions/timeline.hpp"

#include <fmt/format.h>

#include <map>
#include <sstream>

namespace pgha {

std::optional<std::vector<TimelineSwitch>> parse_timeline_history(const std::string& content) {
    std::vector<TimelineSwitch> switches;
    std::istringstream lines(content);
    for (std::string line; std::getline(lines, line);) {
        auto start = line.find_first_not_of(" \t\r");
        if (start == std::string::npos || line[start] == '#') continue;
        std::istringstream fields(line.substr(start));
        std::string timeline, lsn;
        if (!(fields >> timeline >> lsn)) return std::nullopt;
        auto parsed = parse_lsn(lsn);
        if (!parsed || timeline.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
        switches.push_back({std::stoi(timeline), *parsed});
    }
    return switches;
}

FollowVerdict can_follow(int node_timeline, Lsn node_lsn, int target_timeline, Lsn target_lsn,
                         const std::vector<TimelineSwitch>& target_history) {
    if (node_timeline == target_timeline) {
        if (node_lsn <= target_lsn)
            return {true, fmt::format("same timeline {}, target is at or ahead of {}", node_timeline, format_lsn(node_lsn))};
        return {false, fmt::format("same timeline {}, but this node's WAL ends at {}, ahead of the target's {}",
                                   node_timeline, format_lsn(node_lsn), format_lsn(target_lsn))};
    }
    if (node_timeline > target_timeline)
        return {false, fmt::format("this node is on timeline {}, newer than the target's timeline {}", node_timeline,
                                   target_timeline)};
    for (const auto& entry : target_history) {
        if (entry.timeline != node_timeline) continue;
        if (node_lsn <= entry.switchpoint)
            return {true, fmt::format("timeline {} forked at {}, this node's WAL ends at {} (not past the fork)",
                                      node_timeline, format_lsn(entry.switchpoint), format_lsn(node_lsn))};
        return {false, fmt::format("timeline {} forked at {} but this node's WAL goes on to {}: it has WAL the "
                                   "target does not have",
                                   node_timeline, format_lsn(entry.switchpoint), format_lsn(node_lsn))};
    }
    return {false, fmt::format("timeline {} is not in the history of the target's timeline {}", node_timeline,
                               target_timeline)};
}

namespace {

// Where each timeline of a chain begins: its parent's switchpoint.
std::map<int, Lsn> timeline_starts(int timeline, const std::vector<TimelineSwitch>& history) {
    std::map<int, Lsn> starts;
    Lsn start = 0;
    for (const auto& entry : history) {
        starts.emplace(entry.timeline, start);
        start = entry.switchpoint;
    }
    starts.emplace(timeline, start);
    return starts;
}

}  // namespace

std::optional<std::string> timeline_collision(int node_timeline, const std::vector<TimelineSwitch>& node_history,
                                              int target_timeline, const std::vector<TimelineSwitch>& target_history) {
    auto target_starts = timeline_starts(target_timeline, target_history);
    for (const auto& [timeline, start] : timeline_starts(node_timeline, node_history)) {
        auto other = target_starts.find(timeline);
        if (other == target_starts.end() || other->second == start) continue;
        return fmt::format("timeline {} was started twice: here at {}, on the target at {}", timeline,
                           format_lsn(start), format_lsn(other->second));
    }
    return std::nullopt;
}

}  // namespace pgha
