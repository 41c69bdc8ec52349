#include "actions/emit_event.hpp"

#include <chrono>
#include <fmt/chrono.h>

#include "catalog/events.hpp"
#include "core/log.hpp"
#include "hooks/notify.hpp"

namespace pgha {
namespace {

std::string utc_now() {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ms);
}

// The capture emit_event reports to, if any (see EventCapture).
std::mutex active_capture_mutex;
EventCapture* active_capture = nullptr;

}  // namespace

EventCapture::EventCapture() {
    std::lock_guard lock(active_capture_mutex);
    previous_ = active_capture;
    active_capture = this;
}

EventCapture::~EventCapture() {
    std::lock_guard lock(active_capture_mutex);
    active_capture = previous_;
}

std::vector<EmittedEvent> EventCapture::events() const {
    std::lock_guard lock(mutex_);
    return events_;
}

void EventCapture::add(EmittedEvent event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
}

Event make_event(const Config& config, std::string type, bool successful, std::string details) {
    Event event;
    event.node_id = config.node_id;
    event.node_name = config.node_name;
    event.type = std::move(type);
    event.successful = successful;
    event.details = std::move(details);
    return event;
}

bool record_in_catalog(const pg::Connection* writable, Event& event) {
    if (writable) {
        try {
            catalog::record_event(*writable, event);
            return true;
        } catch (const Error& error) {
            log::warning("could not record event \"{}\": {} {}", event.type, error.what(), error.detail());
        }
    }
    event.timestamp = utc_now();
    log::warning("event \"{}\" not recorded in pgha.events: no writable primary", event.type);
    return false;
}

void emit_event(const Config& config, const pg::Connection* writable, Event event) {
    bool recorded = record_in_catalog(writable, event);
    {
        std::lock_guard lock(active_capture_mutex);
        if (active_capture) active_capture->add({event, recorded});
    }
    run_event_hook(config.events, event);
}

}  // namespace pgha
