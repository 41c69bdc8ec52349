#pragma once
// Events the daemon raised while no primary was writable (DESIGN.md section 9):
// kept in [daemon] state_dir/pending-events.jsonl, one JSON object per line,
// and written to pgha.events, in order and with their own timestamps, once a
// primary is writable again. Safe to call from any worker thread.
#include <string>
#include <vector>

#include "hooks/event.hpp"
#include "pg/connection.hpp"

namespace pgha {

class EventQueue {
public:
    explicit EventQueue(const std::string& state_dir);

    // Appends. Never throws: a queue that cannot be written is logged.
    void push(const Event& event) const;
    bool empty() const;
    // Records every queued event through `writable`, oldest first, and removes
    // those recorded; stops at the first failure. Returns how many it wrote.
    std::size_t flush(const pg::Connection& writable) const;

private:
    std::string path_;
};

}  // namespace pgha
