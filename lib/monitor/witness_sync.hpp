#pragma once
// Keeps each witness's copy of the metadata current. A witness stands outside
// replication, so nothing else brings it a node registered later, a new term
// or a new primary. The writable primary's daemon copies from its monitoring
// round, when WitnessSchedule says a copy is due.
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "monitor/witness_schedule.hpp"

namespace pgha {

struct TickFacts;

class WitnessSync {
public:
    WitnessSync() = default;
    ~WitnessSync();  // waits for a copy in progress (bounded by the connect timeouts)
    WitnessSync(const WitnessSync&) = delete;
    WitnessSync& operator=(const WitnessSync&) = delete;

    // From the monitoring round, on any thread. On this node's writable
    // primary, starts copying to the witnesses that are due and returns at
    // once: the copy runs on a thread of its own, because the round also
    // sends the heartbeats that hold the lease, and a witness that does not
    // answer would hold each round up by a connect timeout. One copy at a time.
    void refresh_if_due(const Config& config, const TickFacts& facts, std::chrono::seconds timeout);

private:
    void copy(const Config& config, const std::vector<NodeRecord>& witnesses, const std::string& fingerprint,
              const std::string& summary, std::chrono::seconds timeout);
    void record(const NodeRecord& witness, const std::string& fingerprint, const std::string& summary,
                const std::string& error);

    std::mutex mutex_;
    WitnessSchedule schedule_;
    bool busy_ = false;
    std::thread thread_;
};

}  // namespace pgha
