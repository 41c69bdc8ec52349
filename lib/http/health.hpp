#pragma once
// The open endpoints, computed from one DaemonStatus snapshot (DESIGN.md section 6):
//   GET /health   200 when PostgreSQL is up, else 503
//   GET /primary  200 only on a writable, unfenced primary, else 503
//   GET /replica  200 only on a streaming standby; ?lag=16MB also bounds the lag
//   GET /status   JSON (protocol/daemon_status_json.hpp)
//   GET /metrics  Prometheus text format 0.0.4
// Pure: the daemon passes a function that returns its current status.
#include <functional>
#include <map>
#include <string>

#include "http/message.hpp"
#include "http/router.hpp"
#include "protocol/daemon_status.hpp"

namespace pgha {

// The answer of one health check and its reason, sent as the body so that
// `curl` shows a DBA why HAProxy took a node out.
struct HealthCheck {
    bool ok = false;
    std::string reason;
};

HealthCheck check_health(const DaemonStatus& status);
HealthCheck check_primary(const DaemonStatus& status);
// Throws BadRequest when the lag parameter is not a size ("16MB", "512kB", "0").
HealthCheck check_replica(const DaemonStatus& status, const std::map<std::string, std::string>& query);

std::string render_metrics(const DaemonStatus& status);

// Prometheus label value escaping: backslash, double quote and newline.
std::string escape_label_value(const std::string& value);

void add_health_routes(Router& router, std::function<DaemonStatus()> current);

}  // namespace pgha
