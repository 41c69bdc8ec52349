#pragma once
// Which peers a daemon heard from lately and which of them act as primary,
// for /metrics (voters visible, primaries seen). Fed by the driver with every
// peer message it receives and every answer to its own requests. Pure.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

namespace pgha {

class PeerContacts {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    using Millis = std::chrono::milliseconds;

    // A request from `node_id` or its answer to one of ours.
    void heard(int node_id, TimePoint now) { heard_[node_id] = now; }
    // A heartbeat of `leader_id` as primary in `term`.
    void heartbeat(int leader_id, std::int64_t term, TimePoint now);

    // Peers heard from within `window` of `now`, `self_id` not counted.
    std::size_t heard_within(int self_id, TimePoint now, Millis window) const;
    // Whether `node_id` acts as primary: it sent a heartbeat within `window`,
    // in the current term `term`, or in an older one after this node learned
    // `term` at `term_since` (a primary that missed the failover, still acting).
    bool leads(int node_id, std::int64_t term, std::optional<TimePoint> term_since, TimePoint now,
               Millis window) const;
    // Every node that leads (as above), `self_id` not counted.
    std::size_t leaders(int self_id, std::int64_t term, std::optional<TimePoint> term_since, TimePoint now,
                        Millis window) const;

private:
    struct Beat {
        TimePoint at;
        std::int64_t term = 0;
    };
    std::map<int, TimePoint> heard_;
    std::map<int, Beat> beats_;
};

}  // namespace pgha
