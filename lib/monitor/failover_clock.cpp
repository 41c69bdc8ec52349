#include "monitor/failover_clock.hpp"

namespace pgha {
namespace {

// A switchover's hold may have ended (or lapsed between renewals) by the
// round that finds the new primary writable.
constexpr std::chrono::seconds kHoldGrace{30};

double unix_seconds(FailoverClock::WallTime wall) {
    return std::chrono::duration<double>(wall.time_since_epoch()).count();
}

}  // namespace

double FailoverClock::seconds(std::optional<TimePoint> from, TimePoint to) {
    if (!from) return DaemonMetrics::unknown;
    return std::chrono::duration<double>(to - *from).count();
}

void FailoverClock::election_started(TimePoint now, bool crash) {
    election_at_ = now;
    contact_at_election_ = last_contact_;
    reason_ = crash ? crashed : lost;
}

void FailoverClock::promotion_started(TimePoint now) {
    promotion_at_ = now;
    promoting_ = true;
}

void FailoverClock::promotion_finished(TimePoint now, WallTime wall) {
    if (!promoting_) return;
    promoting_ = false;
    promoted_by_us_ = true;
    ++failovers_[reason_];
    Last last;
    last.detection = election_at_ ? seconds(contact_at_election_, *election_at_) : DaemonMetrics::unknown;
    last.election = promotion_at_ ? seconds(election_at_, *promotion_at_) : DaemonMetrics::unknown;
    last.promotion = seconds(promotion_at_, now);
    last.total = seconds(contact_at_election_, now);
    last.write_unavailable = seconds(other_writable_at_, now);
    last.finished = unix_seconds(wall);
    last_ = last;
}

void FailoverClock::held(TimePoint now) {
    if (!last_held_ || now - *last_held_ > kHoldGrace) hold_started_ = now;
    last_held_ = now;
}

void FailoverClock::round(bool standby, bool writable_primary, TimePoint now, WallTime wall) {
    bool became = writable_primary && !was_writable_primary_ && was_standby_;
    was_writable_primary_ = writable_primary;
    if (standby) was_standby_ = true;
    if (writable_primary) was_standby_ = false;
    if (!became || promoting_) return;
    if (promoted_by_us_) {
        promoted_by_us_ = false;
        return;
    }
    Last last;
    last.write_unavailable = seconds(other_writable_at_, now);
    last.finished = unix_seconds(wall);
    if (last_held_ && now - *last_held_ <= kHoldGrace) {
        ++switchovers_;
        last.switchover = true;
        // The old primary takes writes until the switchover stops it, after its hold began.
        if (hold_started_ && (!other_writable_at_ || *other_writable_at_ < *hold_started_))
            last.write_unavailable = seconds(hold_started_, now);
        last.detection = 0;
        last.election = 0;
        last.promotion = last.write_unavailable;
        last.total = seconds(hold_started_, now);
    } else {
        ++failovers_[manual];
    }
    last_ = last;
}

void FailoverClock::report(DaemonMetrics& metrics) const {
    metrics.failovers = failovers_;
    metrics.switchovers = switchovers_;
    if (!last_) return;
    metrics.last_detection_seconds = last_->detection;
    metrics.last_election_seconds = last_->election;
    metrics.last_promotion_seconds = last_->promotion;
    metrics.last_total_seconds = last_->total;
    metrics.last_write_unavailable_seconds = last_->write_unavailable;
    metrics.last_finished_seconds = last_->finished;
    metrics.last_was_switchover = last_->switchover ? 1 : 0;
}

}  // namespace pgha
