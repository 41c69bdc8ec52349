#include "monitor/facts.hpp"

#include "catalog/monitoring.hpp"
#include "catalog/schema.hpp"
#include "core/log.hpp"
#include "monitor/deadlines.hpp"
#include "monitor/facts_summary.hpp"
#include "probe/probe.hpp"

namespace pgha {

TickFacts gather_facts(const Config& config, bool sample_history, WitnessSync& witness_sync) {
    TickFacts facts;
    try {
        auto local = pg::Connection::open(config.conninfo, {.deadline = local_deadline(config)});
        facts.local = observe(local);
        try {
            facts.server = read_server_facts(local);
        } catch (const pg::QueryError& error) {
            log::debug("server facts for /metrics not read: {} {}", error.what(), error.detail());
        }
        if (catalog::schema_version(local) > 0) {
            facts.records = catalog::list_nodes(local);
            facts.cluster = catalog::cluster_state(local);
            facts.primary = catalog::find_active_primary(local);
            facts.metadata_read = true;
            if (sample_history && !facts.local.in_recovery) {
                try {
                    catalog::sample_replication(local, config.node_id);
                } catch (const Error& error) {
                    log::warning("monitoring_history not written: {} {}", error.what(), error.detail());
                }
            }
        }
    } catch (const Error& error) {
        facts.local = NodeObservation{};
        facts.local.error = error.detail().empty() ? error.what() : error.detail();
    }
    if (facts.primary && facts.primary->node_id == config.node_id) {
        facts.primary_writable = facts.local.reachable && !facts.local.in_recovery;
    } else if (facts.primary) {
        auto seen = observe_within(facts.primary->conninfo, remote_deadline(config));
        facts.primary_writable = seen.reachable && !seen.in_recovery;
        facts.primary_lsn = seen.insert_lsn ? seen.insert_lsn : seen.lsn;
    }
    // Built only when it is logged: this runs every monitoring round.
    if (log::level() <= log::Level::debug) log::debug("observed: {}", describe_facts(facts));
    // The copy runs on a thread of its own, with the conninfo's own timeouts.
    witness_sync.refresh_if_due(config, facts, std::chrono::seconds(2));
    return facts;
}

}  // namespace pgha
