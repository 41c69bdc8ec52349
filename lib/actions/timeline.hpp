#pragma once
// Timeline histories and the question every follow and rejoin asks: can a node
// at (timeline, LSN) stream from a server on another timeline without pg_rewind?
// Pure code.
#include <optional>
#include <string>
#include <vector>

#include "core/lsn.hpp"

namespace pgha {

// One line of a NNNNNNNN.history file: `timeline` ended at `switchpoint`.
struct TimelineSwitch {
    int timeline = 0;
    Lsn switchpoint = 0;
};

// Parses history file contents ("1\t0/3000148\tno recovery target specified").
// Comment and blank lines are skipped; malformed lines are an error (nullopt).
std::optional<std::vector<TimelineSwitch>> parse_timeline_history(const std::string& content);

struct FollowVerdict {
    bool can_follow = false;
    std::string reason;  // why (not), for messages
};

// `node_*`: where the node's WAL ends; `target_*`: the server to follow and its
// history (switches of every ancestor timeline; empty when target_timeline is 1).
FollowVerdict can_follow(int node_timeline, Lsn node_lsn, int target_timeline, Lsn target_lsn,
                         const std::vector<TimelineSwitch>& target_history);

// Two nodes promoted from the same timeline without seeing each other's switch
// can both have started the same timeline number, from different points (see
// reserve_timelines). pg_rewind takes the two for one and finds nothing to do,
// so such a node can only be re-cloned. Names the timeline and both starts, or
// nullopt when every timeline number the two histories share starts alike.
std::optional<std::string> timeline_collision(int node_timeline, const std::vector<TimelineSwitch>& node_history,
                                              int target_timeline, const std::vector<TimelineSwitch>& target_history);

}  // namespace pgha
