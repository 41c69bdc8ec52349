// The generated part of pghad(8): the open HTTP endpoints, each checked
// against the routes the daemon serves (http/health.cpp), so that the page
// never documents a path that answers 404.
#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

#include "docgen.hpp"
#include "http/health.hpp"
#include "roff.hpp"

namespace pgha::docgen {
namespace {

struct Endpoint {
    std::string method;
    std::string path;
    std::string query;  // shown after the path, e.g. "?lag=SIZE"
    std::string description;
};

const std::vector<Endpoint>& endpoints() {
    static const std::vector<Endpoint> list = {
        {"GET", "/health", "", "200 when PostgreSQL on this node is up, else 503."},
        {"GET", "/primary", "",
         "200 only on a writable primary that is not fenced, else 503: the check for HAProxy's "
         "read-write backend (option httpchk)."},
        {"GET", "/", "", "As /primary (Patroni's path)."},
        {"GET", "/master", "", "As /primary (Patroni's path)."},
        {"GET", "/leader", "", "As /primary (Patroni's path)."},
        {"GET", "/read-write", "", "As /primary (Patroni's path)."},
        {"GET", "/replica", "[?lag=SIZE][&replication_state=streaming][&tag_KEY=VALUE...]",
         "200 only on a standby streaming from its upstream that does not have the tag noloadbalance = "
         "\"true\", else 503; with lag (a size such as 16MB, or bytes) also only while its lag is at most "
         "that; with tag_KEY=VALUE only while its tag KEY is VALUE (noloadbalance and nofailover are "
         "\"false\" when unset). A lag that is not a size, a replication_state other than streaming, or "
         "any other parameter gets 400."},
        {"GET", "/standby", "[?lag=SIZE][&replication_state=streaming][&tag_KEY=VALUE...]",
         "As /replica (Patroni's path)."},
        {"GET", "/read-only", "[?lag=SIZE][&replication_state=streaming][&tag_KEY=VALUE...]",
         "200 on a writable, unfenced primary (whatever its tags, as in Patroni) or on a standby that "
         "passes /replica with the same parameters, else 503."},
        {"GET", "/liveness", "",
         "200 while the daemon's loop ticked within 3 x failover.monitor_interval + 1 s, else 503; reads no "
         "SQL (a Kubernetes liveness probe)."},
        {"GET", "/readiness", "[?lag=SIZE]",
         "200 on a writable, unfenced primary or on a streaming standby whose lag is at most lag (default: "
         "failover.maximum_lag_on_failover), else 503."},
        {"GET", "/status", "",
         "JSON: node, role, term, upstream, last contact with the primary, LSN, lag, paused, fenced, "
         "tags, the age of the loop's last tick (what pgha daemon status shows)."},
        {"GET", "/metrics", "", "Prometheus text format 0.0.4."},
        {"HEAD, OPTIONS", "", "",
         "Answered as GET (HEAD without a body), for HAProxy's option httpchk. On every path a query "
         "parameter the path does not take is a 400 naming it and the ones it takes."},
    };
    return list;
}

// Every path, and HEAD and OPTIONS on it, must be routed; the entry without
// a path is a note on all of them.
void check_routed(const Router& router) {
    for (const auto& endpoint : endpoints()) {
        if (endpoint.path.empty()) continue;
        for (const std::string method : {endpoint.method, std::string("HEAD"), std::string("OPTIONS")}) {
            HttpRequest request;
            request.method = method;
            request.path = endpoint.path;
            auto response = router.dispatch(request, std::chrono::system_clock::now());
            if (response.status == 404 || response.status == 405)
                throw std::runtime_error(fmt::format("pghad(8) documents {} {}, which the daemon does not route "
                                                     "({}); update cli/docgen/man_daemon.cpp",
                                                     method, endpoint.path, response.status));
        }
    }
}

}  // namespace

Markers daemon_markers() {
    Router router;
    add_health_routes(router, [] { return DaemonStatus{}; });
    check_routed(router);
    std::string out;
    for (const auto& endpoint : endpoints())
        out += ".TP\n" + roff::bold(endpoint.path.empty() ? endpoint.method : endpoint.method + " " + endpoint.path) +
               (endpoint.query.empty() ? "" : roff::escape(endpoint.query)) + "\n" + roff::escape(endpoint.description) +
               "\n";
    return {{"ENDPOINTS", out}};
}

}  // namespace pgha::docgen
