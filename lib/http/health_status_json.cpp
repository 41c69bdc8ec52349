// GET /status: the daemon's view of its node as one JSON object. Field names
// match `pgha daemon status --json` (DESIGN.md section 3).
#include "http/health.hpp"
#include "output/json_fields.hpp"

namespace pgha {

std::string render_status_json(const DaemonStatus& status) {
    json out;
    out["node_id"] = status.node_id;
    out["node_name"] = status.node_name;
    out["role"] = status.role;
    out["postgres_up"] = status.postgres_up;
    out["writable"] = status.writable;
    out["streaming"] = status.streaming;
    out["upstream"] = or_null(status.upstream);
    out["term"] = status.term;
    out["paused"] = status.paused;
    out["fenced"] = status.fenced;
    out["fence_reason"] = status.fenced ? json(status.fence_reason) : json(nullptr);
    out["role_mismatch"] = status.role_mismatch.empty() ? json(nullptr) : json(status.role_mismatch);
    out["lsn"] = lsn_json(status.lsn);
    out["lag_bytes"] = or_null(status.lag_bytes);
    out["last_primary_contact_ms"] = or_null(status.last_primary_contact_ms);
    out["failovers"] = status.failovers;
    out["hook_failures"] = status.hook_failures;
    out["last_decision"] = status.last_decision;
    // Names come from the config and may hold any bytes: replace, never throw.
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace pgha
