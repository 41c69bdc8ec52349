#pragma once
// When each witness's copy of the metadata is due (pure: no I/O, no clock
// read). A copy is due when what the primary's monitoring round read differs
// from what was last copied there, and every `period` anyway (the witness
// may have been rebuilt or restored since); after a failed attempt, not
// again before `retry`.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/node.hpp"

namespace pgha {

struct TickFacts;

// What a witness's copy must reflect of a round's facts: every node record,
// the term and the primary. Equal fingerprints, nothing new to copy. Never
// logged: a conninfo in it may hold a password.
std::string metadata_fingerprint(const TickFacts& facts);

class WitnessSchedule {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    using Millis = std::chrono::milliseconds;

    explicit WitnessSchedule(Millis period = Millis(30000), Millis retry = Millis(5000))
        : period_(period), retry_(retry) {}

    // The witnesses among `records` whose copy is due; forgets the others.
    std::vector<NodeRecord> due(const std::vector<NodeRecord>& records, const std::string& fingerprint,
                                TimePoint now);
    void copied(int node_id, const std::string& fingerprint, TimePoint now);
    // True when `error` differs from the last one: worth a warning, not just a debug line.
    bool failed(int node_id, const std::string& error, TimePoint now);
    // Whether the copy to node_id changed something since the last success (for the log).
    bool changes(int node_id, const std::string& fingerprint) const;

private:
    struct Copy {
        std::string fingerprint;  // of the last successful copy
        std::optional<TimePoint> copied_at;
        std::optional<TimePoint> failed_at;  // reset by a success
        std::string error;
    };
    Millis period_;
    Millis retry_;
    std::map<int, Copy> copies_;
};

}  // namespace pgha
