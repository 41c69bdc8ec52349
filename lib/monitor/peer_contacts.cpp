#include "monitor/peer_contacts.hpp"

namespace pgha {

void PeerContacts::heartbeat(int leader_id, std::int64_t term, TimePoint now) {
    heard(leader_id, now);
    beats_[leader_id] = {now, term};
}

std::size_t PeerContacts::heard_within(int self_id, TimePoint now, Millis window) const {
    std::size_t count = 0;
    for (const auto& [id, at] : heard_)
        if (id != self_id && now - at <= window) ++count;
    return count;
}

bool PeerContacts::leads(int node_id, std::int64_t term, std::optional<TimePoint> term_since, TimePoint now,
                         Millis window) const {
    auto found = beats_.find(node_id);
    if (found == beats_.end() || now - found->second.at > window) return false;
    return found->second.term >= term || (term_since && found->second.at > *term_since);
}

std::size_t PeerContacts::leaders(int self_id, std::int64_t term, std::optional<TimePoint> term_since,
                                  TimePoint now, Millis window) const {
    std::size_t count = 0;
    for (const auto& [id, beat] : beats_)
        if (id != self_id && leads(id, term, term_since, now, window)) ++count;
    return count;
}

}  // namespace pgha
