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
        {"GET", "/replica", "[?lag=SIZE]",
         "200 only on a standby streaming from its upstream, else 503; with lag (a size such as 16MB) "
         "also only while its lag is at most that. A lag that is not a size gets 400."},
        {"GET", "/status", "",
         "JSON: node, role, term, upstream, last contact with the primary, LSN, lag, paused, fenced "
         "(what pgha daemon status shows)."},
        {"GET", "/metrics", "", "Prometheus text format 0.0.4."},
    };
    return list;
}

void check_routed(const Router& router) {
    for (const auto& endpoint : endpoints()) {
        HttpRequest request;
        request.method = endpoint.method;
        request.path = endpoint.path;
        auto response = router.dispatch(request, std::chrono::system_clock::now());
        if (response.status == 404 || response.status == 405)
            throw std::runtime_error(fmt::format("pghad(8) documents {} {}, which the daemon does not route ({}); "
                                                 "update cli/docgen/man_daemon.cpp",
                                                 endpoint.method, endpoint.path, response.status));
    }
}

}  // namespace

Markers daemon_markers() {
    Router router;
    add_health_routes(router, [] { return DaemonStatus{}; });
    check_routed(router);
    std::string out;
    for (const auto& endpoint : endpoints())
        out += ".TP\n" + roff::bold(endpoint.method + " " + endpoint.path) +
               (endpoint.query.empty() ? "" : roff::escape(endpoint.query)) + "\n" + roff::escape(endpoint.description) +
               "\n";
    return {{"ENDPOINTS", out}};
}

}  // namespace pgha::docgen
