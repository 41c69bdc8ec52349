#include "monitor/witness_schedule.hpp"

#include <fmt/format.h>

#include "monitor/facts.hpp"

namespace pgha {

std::string metadata_fingerprint(const TickFacts& facts) {
    auto text = fmt::format("term {} primary {}", facts.cluster.term,
                            facts.cluster.primary_node_id ? *facts.cluster.primary_node_id : 0);
    for (const auto& r : facts.records)
        text += fmt::format("\n{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", r.node_id, r.node_name, r.type,
                            r.upstream_node_id ? *r.upstream_node_id : 0, r.active, r.location, r.priority,
                            r.conninfo, r.repluser, r.slot_name.value_or(""), r.data_directory, r.daemon_listen);
    return text;
}

std::vector<NodeRecord> WitnessSchedule::due(const std::vector<NodeRecord>& records, const std::string& fingerprint,
                                             TimePoint now) {
    std::vector<NodeRecord> out;
    std::map<int, Copy> kept;
    for (const auto& record : records) {
        if (record.type != "witness") continue;
        auto& copy = kept[record.node_id];
        if (auto known = copies_.find(record.node_id); known != copies_.end()) copy = known->second;
        if (copy.failed_at && now - *copy.failed_at < retry_) continue;
        if (copy.fingerprint != fingerprint || !copy.copied_at || now - *copy.copied_at >= period_)
            out.push_back(record);
    }
    copies_ = std::move(kept);  // an unregistered witness is forgotten
    return out;
}

void WitnessSchedule::copied(int node_id, const std::string& fingerprint, TimePoint now) {
    copies_[node_id] = Copy{fingerprint, now, std::nullopt, {}};
}

bool WitnessSchedule::failed(int node_id, const std::string& error, TimePoint now) {
    auto& copy = copies_[node_id];
    copy.failed_at = now;
    bool fresh = copy.error != error;
    copy.error = error;
    return fresh;
}

bool WitnessSchedule::changes(int node_id, const std::string& fingerprint) const {
    auto known = copies_.find(node_id);
    return known == copies_.end() || known->second.fingerprint != fingerprint;
}

}  // namespace pgha
