#pragma once
// The open endpoints, computed from one DaemonStatus snapshot (DESIGN.md section 6),
// with Patroni's paths as aliases so that an existing HAProxy or Kubernetes
// configuration works unchanged:
//   /health                        200 when PostgreSQL is up
//   /primary, /, /master, /leader, /read-write
//                                  200 only on a writable, unfenced primary
//   /replica, /standby             200 only on a streaming standby without the
//                                  noloadbalance tag; ?lag=16MB (or bytes) bounds
//                                  the lag, ?tag_KEY=VALUE matches a tag,
//                                  ?replication_state=streaming is accepted
//   /read-only                     200 on the primary or a standby passing /replica
//   /liveness                      200 while the daemon's loop ticked within its bound
//   /readiness                     200 on the primary or a streaming standby within
//                                  ?lag (default: failover.maximum_lag_on_failover)
//   /status                        JSON (protocol/daemon_status_json.hpp)
//   /metrics                       Prometheus text format 0.0.4
// Otherwise 503, with the reason as the body. A parameter a path does not take,
// or a value it cannot read, is a 400 naming it and what is allowed.
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

using Query = std::map<std::string, std::string>;

// Each throws BadRequest for a parameter the path does not take or a value it
// cannot read (`path` names the path in the message), whatever the role.
HealthCheck check_health(const DaemonStatus& status, const Query& query = {}, const std::string& path = "/health");
HealthCheck check_primary(const DaemonStatus& status, const Query& query = {},
                          const std::string& path = "/primary");
HealthCheck check_replica(const DaemonStatus& status, const Query& query = {},
                          const std::string& path = "/replica");
HealthCheck check_read_only(const DaemonStatus& status, const Query& query = {},
                            const std::string& path = "/read-only");
HealthCheck check_liveness(const DaemonStatus& status, const Query& query = {},
                           const std::string& path = "/liveness");
HealthCheck check_readiness(const DaemonStatus& status, const Query& query = {},
                            const std::string& path = "/readiness");

// A lag bound as /replica?lag= takes it: a size ("16MB", "512kB") or plain
// bytes ("1048576", as Patroni writes it); nullopt when it is neither.
std::optional<std::uint64_t> parse_lag(const std::string& text);

std::string render_metrics(const DaemonStatus& status);

// Prometheus label value escaping: backslash, double quote and newline.
std::string escape_label_value(const std::string& value);

void add_health_routes(Router& router, std::function<DaemonStatus()> current);

}  // namespace pgha
