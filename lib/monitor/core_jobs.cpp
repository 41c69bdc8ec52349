#include "monitor/core_jobs.hpp"

#include "core/log.hpp"
#include "monitor/daemon_actions.hpp"
#include "monitor/ping_targets.hpp"
#include "monitor/unfence.hpp"

namespace pgha {

decision::JobResult run_core_job(const Config& config, const decision::Job& job,
                                 const std::vector<NodeRecord>& records) {
    using decision::JobKind;
    decision::JobResult result;
    switch (job.kind) {
    case JobKind::fence: fence_node(config, job.reason); break;
    case JobKind::promote: result.ok = promote_elected(config, job.term, job.votes, job.timeline_floor); break;
    case JobKind::rejoin:
        for (const auto& r : records)
            if (r.node_id == job.target) rejoin_as_standby(config, r.conninfo);
        break;
    case JobKind::start_in_recovery: result.failure = start_in_recovery(config, Millis(600'000)); break;
    case JobKind::stop_after_failed_unfence: stop_after_failed_unfence(config); break;
    case JobKind::promote_unfenced:
        result.failure = promote_unfenced(config, job.deadline);
        result.ok = !result.failure;
        break;
    case JobKind::record_event: record_daemon_event(config, job.event, job.successful, job.details); break;
    case JobKind::check_ping: {
        auto outcome = check_ping_targets(config.fencing.ping_targets, Millis(1000));
        result.answered = outcome.answered;
        result.detail = outcome.detail;
        break;
    }
    }
    return result;
}

}  // namespace pgha
