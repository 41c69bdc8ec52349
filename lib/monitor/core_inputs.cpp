#include "monitor/core_inputs.hpp"

namespace pgha {

decision::Settings core_settings(const Config& config) {
    decision::Settings s;
    s.node_id = config.node_id;
    s.priority = effective_priority(config);  // [tags] nofailover = "true" is priority 0
    s.failover_mode =
        config.failover.mode == "manual" ? decision::FailoverMode::manual : decision::FailoverMode::automatic;
    s.fencing_mode = config.fencing.mode == "ping"  ? decision::FencingMode::ping
                     : config.fencing.mode == "off" ? decision::FencingMode::off
                                                    : decision::FencingMode::quorum;
    s.auto_rejoin = config.fencing.auto_rejoin;
    s.ping_targets = config.fencing.ping_targets.size();
    s.monitor_interval = config.failover.monitor_interval;
    s.reconnect_attempts = config.failover.reconnect_attempts;
    s.reconnect_interval = config.failover.reconnect_interval;
    s.lease_timeout = config.failover.lease_timeout;
    s.maximum_lag = config.failover.maximum_lag_on_failover;
    return s;
}

decision::LocalRead core_local(const NodeObservation& observation) {
    return {observation.reachable, observation.in_recovery, observation.lsn, observation.error};
}

decision::Facts core_facts(const TickFacts& facts) {
    decision::Facts f;
    f.local = core_local(facts.local);
    f.metadata_read = facts.metadata_read;
    for (const auto& r : facts.records)
        f.members.push_back({r.node_id, r.type == "witness", r.priority, !r.daemon_listen.empty()});
    f.cluster_term = facts.cluster.term;
    f.cluster_primary = facts.cluster.primary_node_id.value_or(0);
    f.primary_writable = facts.primary_writable;
    return f;
}

}  // namespace pgha
