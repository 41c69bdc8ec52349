#include "http/health.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "core/units.hpp"
#include "protocol/daemon_status_json.hpp"

namespace pgha {
namespace {

HealthCheck pass(std::string reason) { return {true, std::move(reason)}; }
HealthCheck fail(std::string reason) { return {false, std::move(reason)}; }

HttpResponse check_response(const HealthCheck& check) {
    HttpResponse response;
    response.status = check.ok ? 200 : 503;
    response.body = check.reason + "\n";
    return response;
}

}  // namespace

HealthCheck check_health(const DaemonStatus& status) {
    if (!status.postgres_up) return fail("PostgreSQL is down");
    return pass(fmt::format("PostgreSQL is up ({})", status.role));
}

HealthCheck check_primary(const DaemonStatus& status) {
    if (status.role != "primary") return fail(fmt::format("not the primary: role is {}", status.role));
    if (status.fenced) return fail("primary is fenced");
    if (!status.writable) return fail("primary is not accepting writes");
    return pass("writable primary");
}

HealthCheck check_replica(const DaemonStatus& status, const std::map<std::string, std::string>& query) {
    // Validate the parameter first: a typo in the HAProxy config must show as 400, whatever the role.
    std::optional<std::uint64_t> max_lag;
    if (auto it = query.find("lag"); it != query.end()) {
        max_lag = parse_size(it->second);
        if (!max_lag)
            throw BadRequest(fmt::format("lag=\"{}\" is not a size; write it like 16MB, 512kB or 0", it->second));
    }
    if (status.role != "standby") return fail(fmt::format("not a standby: role is {}", status.role));
    if (!status.streaming) return fail("standby is not streaming from its upstream");
    if (!max_lag) return pass("streaming standby");
    if (!status.lag_bytes) return fail("standby lag is unknown");
    // A negative lag is a race between the two LSN reads: the standby is caught up.
    auto lag = static_cast<std::uint64_t>(std::max<std::int64_t>(*status.lag_bytes, 0));
    if (lag > *max_lag)
        return fail(fmt::format("standby lag {} exceeds {}", format_size(lag), format_size(*max_lag)));
    return pass(fmt::format("streaming standby, lag {} within {}", format_size(lag), format_size(*max_lag)));
}

void add_health_routes(Router& router, std::function<DaemonStatus()> current) {
    router.add("GET", "/health", [current](const HttpRequest&) { return check_response(check_health(current())); });
    router.add("GET", "/primary", [current](const HttpRequest&) { return check_response(check_primary(current())); });
    router.add("GET", "/replica", [current](const HttpRequest& request) {
        return check_response(check_replica(current(), request.query));
    });
    router.add("GET", "/status", [current](const HttpRequest&) {
        HttpResponse response;
        response.content_type = "application/json";
        response.body = encode_status_json(current()) + "\n";
        return response;
    });
    router.add("GET", "/metrics", [current](const HttpRequest&) {
        HttpResponse response;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body = render_metrics(current());
        return response;
    });
}

}  // namespace pgha
