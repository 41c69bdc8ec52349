#pragma once
// What a daemon can know about the failovers and switchovers that promoted
// its node, and how long their phases took, for /metrics. Fed by the driver
// (monitor/daemon.cpp) from what it sees pass: the decision core's effects,
// the monitoring rounds, the switchover hold. Pure: time is passed in.
//
// A failover (this daemon won an election and promoted its node):
//   detection   the last contact with the old primary (a heartbeat, or a round
//               that found it writable) to the start of the election won
//   election    asking for the votes to the promotion job starting
//   promotion   the promotion job (it returns once PostgreSQL accepts writes)
//   total       the last contact with the old primary to the promotion's end
// A switchover (the node became primary while a switchover held its daemon):
// no detection or election (0); promotion is the write-unavailable time,
// counted from the hold's start at the earliest (the old primary takes writes
// until the switchover stops it); total runs from the hold's start to the
// first round that found this node writable.
// A manual promotion (`pgha standby promote`) counts as failover, reason
// "manual", with only the write-unavailable time known.
// Write-unavailable, for all three: from the last round that found another
// node the writable primary to this node accepting writes (as the promotion
// job returned or, without one, as a round found it).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "protocol/daemon_metrics.hpp"

namespace pgha {

class FailoverClock {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    using WallTime = std::chrono::system_clock::time_point;

    // failovers_total's reasons, always listed.
    static constexpr const char* crashed = "primary_crashed";  // its daemon released the lease: postmaster exited
    static constexpr const char* lost = "primary_lost";        // unreachable beyond the failure threshold
    static constexpr const char* manual = "manual";            // promoted by hand, not by this daemon

    // A monitoring round found another node the writable primary.
    void other_primary_writable(TimePoint now) { other_writable_at_ = now; }
    void primary_contact(std::optional<TimePoint> at) { if (at) last_contact_ = at; }
    // This daemon asks for votes; `crash`: the old primary's daemon released its lease.
    void election_started(TimePoint now, bool crash);
    void promotion_started(TimePoint now);
    void promotion_finished(TimePoint now, WallTime wall);
    void promotion_failed() { promoting_ = false; }  // not a failover: nothing counted
    // The daemon promoted its node for another reason (a fenced primary's unfence): no failover.
    void self_promotion() { promoted_by_us_ = true; }
    // A switchover holds this daemon now.
    void held(TimePoint now);
    // After every monitoring round: the local role as the core sees it. Only
    // a standby that becomes a writable primary was promoted (not a primary restarted).
    void round(bool standby, bool writable_primary, TimePoint now, WallTime wall);

    // Fills the failover fields of `metrics`.
    void report(DaemonMetrics& metrics) const;

private:
    struct Last {
        bool switchover = false;
        double detection = DaemonMetrics::unknown, election = DaemonMetrics::unknown;
        double promotion = DaemonMetrics::unknown, total = DaemonMetrics::unknown;
        double write_unavailable = DaemonMetrics::unknown;
        double finished = DaemonMetrics::unknown;
    };
    static double seconds(std::optional<TimePoint> from, TimePoint to);

    std::optional<TimePoint> other_writable_at_;
    std::optional<TimePoint> last_contact_;
    std::optional<TimePoint> election_at_, promotion_at_;
    std::optional<TimePoint> contact_at_election_;
    std::string reason_ = lost;
    bool promoting_ = false;
    bool promoted_by_us_ = false;  // the next round that finds it primary is ours, not a manual one
    std::optional<TimePoint> hold_started_, last_held_;
    bool was_writable_primary_ = false;
    bool was_standby_ = false;  // the last role seen with PostgreSQL up
    std::map<std::string, std::uint64_t> failovers_{{crashed, 0}, {lost, 0}, {manual, 0}};
    std::uint64_t switchovers_ = 0;
    std::optional<Last> last_;
};

}  // namespace pgha
