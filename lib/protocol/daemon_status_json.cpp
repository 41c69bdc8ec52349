#include "protocol/daemon_status_json.hpp"

#include <stdexcept>

#include "protocol/json_fields.hpp"

namespace pgha {
namespace {

json text_or_null(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

// The value of an optional field: nullopt when absent or null.
template <typename T>
std::optional<T> optional_field(const json& doc, const char* name) {
    if (!doc.contains(name) || doc[name].is_null()) return std::nullopt;
    return doc[name].get<T>();
}

}  // namespace

std::string encode_status_json(const DaemonStatus& status) {
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
    out["role_mismatch"] = text_or_null(status.role_mismatch);
    out["lsn"] = lsn_json(status.lsn);
    out["lag_bytes"] = or_null(status.lag_bytes);
    out["last_primary_contact_ms"] = or_null(status.last_primary_contact_ms);
    out["failovers"] = status.failovers;
    out["hook_failures"] = status.hook_failures;
    out["last_decision"] = status.last_decision;
    out["lease_timeout_ms"] = status.lease_timeout_ms;
    out["lease_mismatch"] = text_or_null(status.lease_mismatch);
    out["tags"] = json::object();
    for (const auto& [key, value] : status.tags) out["tags"][key] = value;
    out["last_tick_ms"] = or_null(status.last_tick_ms);
    out["liveness_bound_ms"] = status.liveness_bound_ms;
    // Names come from the config and may hold any bytes: replace, never throw.
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

DaemonStatus decode_status_json(const std::string& body) {
    auto doc = json::parse(body);
    if (!doc.is_object()) throw std::invalid_argument("not a JSON object");
    DaemonStatus s;
    s.node_id = doc.value("node_id", 0);
    s.node_name = doc.value("node_name", "");
    s.role = doc.value("role", "unknown");
    s.postgres_up = doc.value("postgres_up", false);
    s.writable = doc.value("writable", false);
    s.streaming = doc.value("streaming", false);
    s.upstream = optional_field<std::string>(doc, "upstream");
    s.term = doc.value("term", std::int64_t(0));
    s.paused = doc.value("paused", false);
    s.fenced = doc.value("fenced", false);
    s.fence_reason = optional_field<std::string>(doc, "fence_reason").value_or("");
    s.role_mismatch = optional_field<std::string>(doc, "role_mismatch").value_or("");
    if (auto lsn = optional_field<std::string>(doc, "lsn")) s.lsn = parse_lsn(*lsn);
    s.lag_bytes = optional_field<std::int64_t>(doc, "lag_bytes");
    s.last_primary_contact_ms = optional_field<std::int64_t>(doc, "last_primary_contact_ms");
    s.failovers = doc.value("failovers", std::uint64_t(0));
    s.hook_failures = doc.value("hook_failures", std::uint64_t(0));
    s.last_decision = doc.value("last_decision", "");
    s.lease_timeout_ms = doc.value("lease_timeout_ms", std::int64_t(0));
    s.lease_mismatch = optional_field<std::string>(doc, "lease_mismatch").value_or("");
    if (doc.contains("tags") && doc["tags"].is_object())
        for (const auto& [key, value] : doc["tags"].items()) s.tags[key] = value.get<std::string>();
    s.last_tick_ms = optional_field<std::int64_t>(doc, "last_tick_ms");
    s.liveness_bound_ms = doc.value("liveness_bound_ms", std::int64_t(0));
    return s;
}

}  // namespace pgha
