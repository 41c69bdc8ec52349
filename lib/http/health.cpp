#include "http/health.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <vector>

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

constexpr std::string_view tag_prefix = "tag_";

// The parameters a path takes; `tags`: also any tag_KEY.
struct Allowed {
    std::vector<std::string> names;
    bool tags = false;
};

// A parameter that is not understood is refused, never ignored: a typo in a
// load balancer's check would otherwise pass every node.
void refuse_unknown(const std::string& path, const Query& query, const Allowed& allowed) {
    for (const auto& [name, value] : query) {
        if (std::find(allowed.names.begin(), allowed.names.end(), name) != allowed.names.end()) continue;
        if (allowed.tags && name.starts_with(tag_prefix) && name.size() > tag_prefix.size()) continue;
        auto names = allowed.names;
        if (allowed.tags) names.push_back("tag_KEY");
        if (names.empty())
            throw BadRequest(fmt::format("unknown parameter \"{}\": {} takes no parameters", name, path));
        throw BadRequest(fmt::format("unknown parameter \"{}\" on {}; it takes: {}", name, path, fmt::join(names, ", ")));
    }
}

std::optional<std::uint64_t> lag_bound(const Query& query) {
    auto it = query.find("lag");
    if (it == query.end()) return std::nullopt;
    auto bound = parse_lag(it->second);
    if (!bound)
        throw BadRequest(fmt::format(
            "lag=\"{}\" is not a size; write it like 16MB, 512kB or in bytes (1048576)", it->second));
    return bound;
}

// What /replica, /standby and /read-only read from their query.
struct ReplicaQuery {
    std::optional<std::uint64_t> max_lag;
    std::map<std::string, std::string> tags;  // KEY -> VALUE of each tag_KEY=VALUE
};

ReplicaQuery replica_query(const std::string& path, const Query& query) {
    refuse_unknown(path, query, {{"lag", "replication_state"}, true});
    ReplicaQuery out;
    out.max_lag = lag_bound(query);
    if (auto it = query.find("replication_state"); it != query.end() && it->second != "streaming")
        throw BadRequest(fmt::format("replication_state=\"{}\" is not supported on {}; the only value is streaming "
                                     "(a standby passes only while it streams)",
                                     it->second, path));
    for (const auto& [name, value] : query)
        if (name.starts_with(tag_prefix)) out.tags[name.substr(tag_prefix.size())] = value;
    return out;
}

bool is_special_tag(const std::string& key) { return key == "noloadbalance" || key == "nofailover"; }

std::optional<std::string> tag_value(const DaemonStatus& status, const std::string& key) {
    if (auto it = status.tags.find(key); it != status.tags.end()) return it->second;
    if (is_special_tag(key)) return "false";  // unset means false
    return std::nullopt;
}

HealthCheck lag_check(const DaemonStatus& status, std::optional<std::uint64_t> max_lag, std::string what) {
    if (!max_lag) return pass(std::move(what));
    if (!status.lag_bytes) return fail("standby lag is unknown");
    // A negative lag is a race between the two LSN reads: the standby is caught up.
    auto lag = static_cast<std::uint64_t>(std::max<std::int64_t>(*status.lag_bytes, 0));
    if (lag > *max_lag)
        return fail(fmt::format("standby lag {} exceeds {}", format_size(lag), format_size(*max_lag)));
    return pass(fmt::format("{}, lag {} within {}", what, format_size(lag), format_size(*max_lag)));
}

HealthCheck replica_check(const DaemonStatus& status, const ReplicaQuery& query) {
    if (status.role != "standby") return fail(fmt::format("not a standby: role is {}", status.role));
    if (!status.streaming) return fail("standby is not streaming from its upstream");
    if (tag_value(status, "noloadbalance") == "true")
        return fail("standby has the tag noloadbalance = \"true\": out of load balancing");
    for (const auto& [key, wanted] : query.tags) {
        auto value = tag_value(status, key);
        if (!value) return fail(fmt::format("standby has no tag {} (wanted \"{}\")", key, wanted));
        if (*value != wanted) return fail(fmt::format("standby's tag {} is \"{}\", not \"{}\"", key, *value, wanted));
    }
    return lag_check(status, query.max_lag, "streaming standby");
}

}  // namespace

std::optional<std::uint64_t> parse_lag(const std::string& text) {
    std::uint64_t bytes = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return bytes;
    return parse_size(text);
}

HealthCheck check_health(const DaemonStatus& status, const Query& query, const std::string& path) {
    refuse_unknown(path, query, {});
    if (!status.postgres_up) return fail("PostgreSQL is down");
    return pass(fmt::format("PostgreSQL is up ({})", status.role));
}

HealthCheck check_primary(const DaemonStatus& status, const Query& query, const std::string& path) {
    refuse_unknown(path, query, {});
    if (status.role != "primary") return fail(fmt::format("not the primary: role is {}", status.role));
    if (status.fenced) return fail("primary is fenced");
    if (!status.writable) return fail("primary is not accepting writes");
    return pass("writable primary");
}

HealthCheck check_replica(const DaemonStatus& status, const Query& query, const std::string& path) {
    // The query first: a typo in the HAProxy config must show as 400, whatever the role.
    return replica_check(status, replica_query(path, query));
}

// As Patroni: the primary passes whatever its tags; a standby as on /replica.
HealthCheck check_read_only(const DaemonStatus& status, const Query& query, const std::string& path) {
    auto parsed = replica_query(path, query);
    if (auto primary = check_primary(status); primary.ok) return primary;
    return replica_check(status, parsed);
}

HealthCheck check_liveness(const DaemonStatus& status, const Query& query, const std::string& path) {
    refuse_unknown(path, query, {});
    if (!status.last_tick_ms) return fail("the daemon's loop has not ticked yet");
    if (*status.last_tick_ms > status.liveness_bound_ms)
        return fail(fmt::format("the daemon's loop last ticked {} ms ago, more than its bound of {} ms",
                                *status.last_tick_ms, status.liveness_bound_ms));
    return pass(fmt::format("the daemon's loop ticked {} ms ago (bound {} ms)", *status.last_tick_ms,
                            status.liveness_bound_ms));
}

HealthCheck check_readiness(const DaemonStatus& status, const Query& query, const std::string& path) {
    refuse_unknown(path, query, {{"lag"}, false});
    auto max_lag = lag_bound(query).value_or(status.maximum_lag_on_failover);
    auto primary = check_primary(status);
    if (primary.ok || status.role == "primary") return primary;
    if (status.role != "standby") return fail(fmt::format("neither a primary nor a standby: role is {}", status.role));
    if (!status.streaming) return fail("standby is not streaming from its upstream");
    return lag_check(status, max_lag, "streaming standby");
}

void add_health_routes(Router& router, std::function<DaemonStatus()> current) {
    using Check = HealthCheck (*)(const DaemonStatus&, const Query&, const std::string&);
    const std::vector<std::pair<std::string, Check>> checks = {
        {"/health", check_health},       {"/primary", check_primary},     {"/", check_primary},
        {"/master", check_primary},      {"/leader", check_primary},      {"/read-write", check_primary},
        {"/replica", check_replica},     {"/standby", check_replica},     {"/read-only", check_read_only},
        {"/liveness", check_liveness},   {"/readiness", check_readiness},
    };
    for (const auto& [path, check] : checks)
        router.add("GET", path, [current, path = path, check = check](const HttpRequest& request) {
            return check_response(check(current(), request.query, path));
        });
    router.add("GET", "/status", [current](const HttpRequest& request) {
        refuse_unknown("/status", request.query, {});
        HttpResponse response;
        response.content_type = "application/json";
        response.body = encode_status_json(current()) + "\n";
        return response;
    });
    router.add("GET", "/metrics", [current](const HttpRequest& request) {
        refuse_unknown("/metrics", request.query, {});
        HttpResponse response;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body = render_metrics(current());
        return response;
    });
}

}  // namespace pgha
