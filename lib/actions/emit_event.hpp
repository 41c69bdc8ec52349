#pragma once
#include <mutex>
#include <vector>

#include "config/config.hpp"
#include "hooks/event.hpp"
#include "pg/connection.hpp"

namespace pgha {

// Records the event in pgha.events through `writable` (a primary connection, or
// nullptr when none is writable: then only logged), then runs the [events] hook.
// Never throws: an action that succeeded is not failed by its bookkeeping.
void emit_event(const Config& config, const pg::Connection* writable, Event event);

// The recording half of emit_event: true when the event is in pgha.events;
// otherwise logged, with event.timestamp set to now (so it can be queued).
bool record_in_catalog(const pg::Connection* writable, Event& event);

// An event of this node, as configured.
Event make_event(const Config& config, std::string type, bool successful, std::string details);

// An event emit_event handled, and whether it reached pgha.events.
struct EmittedEvent {
    Event event;
    bool recorded = false;
};

// While one lives, every event emit_event handles (in any thread) is also kept
// here, so that the CLI can report what an action recorded (--json) without
// each action returning its events. Scoped: the previous capture, if any, is
// restored on destruction. Not copyable.
class EventCapture {
public:
    EventCapture();
    ~EventCapture();
    EventCapture(const EventCapture&) = delete;
    EventCapture& operator=(const EventCapture&) = delete;

    std::vector<EmittedEvent> events() const;
    void add(EmittedEvent event);  // called by emit_event

private:
    mutable std::mutex mutex_;
    std::vector<EmittedEvent> events_;
    EventCapture* previous_ = nullptr;
};

}  // namespace pgha
