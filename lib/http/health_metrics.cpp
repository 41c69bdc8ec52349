// GET /metrics: Prometheus text exposition format 0.0.4.
#include "http/health.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace pgha {
namespace {

class MetricsText {
public:
    explicit MetricsText(const std::string& node) : node_label_("node=\"" + escape_label_value(node) + "\"") {}

    void describe(std::string_view name, std::string_view type, std::string_view help) {
        text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, double value, std::string_view extra_labels = {}) {
        std::string labels = node_label_;
        if (!extra_labels.empty()) labels += fmt::format(",{}", extra_labels);
        text_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
    }
    void gauge(std::string_view name, std::string_view help, double value) {
        describe(name, "gauge", help);
        sample(name, value);
    }
    void counter(std::string_view name, std::string_view help, double value) {
        describe(name, "counter", help);
        sample(name, value);
    }
    std::string take() { return std::move(text_); }

private:
    std::string node_label_;
    std::string text_;
};

double flag(bool value) { return value ? 1 : 0; }

// Every known role gets a sample (1 for the current one) so that a role change
// never leaves a stale series behind.
void role_metric(MetricsText& out, const std::string& role) {
    out.describe("pgha_role", "gauge", "The node's current role (1 for the current one).");
    constexpr std::array<std::string_view, 4> known{"primary", "standby", "witness", "unknown"};
    bool listed = false;
    for (auto name : known) {
        listed = listed || name == role;
        out.sample("pgha_role", flag(name == role), fmt::format("role=\"{}\"", name));
    }
    if (!listed) out.sample("pgha_role", 1, fmt::format("role=\"{}\"", escape_label_value(role)));
}

}  // namespace

std::string escape_label_value(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string render_metrics(const DaemonStatus& status) {
    MetricsText out(status.node_name);
    out.gauge("pgha_up", "1 while pghad answers.", 1);
    out.gauge("pgha_postgres_up", "1 when the local PostgreSQL is up.", flag(status.postgres_up));
    role_metric(out, status.role);
    out.gauge("pgha_is_primary", "1 when the local PostgreSQL runs as primary.", flag(status.role == "primary"));
    out.gauge("pgha_writable", "1 when the local PostgreSQL accepts writes.", flag(status.writable));
    out.gauge("pgha_term", "The cluster term this daemon knows.", static_cast<double>(status.term));
    out.gauge("pgha_paused", "1 when automatic failover is paused.", flag(status.paused));
    out.gauge("pgha_fenced", "1 when this node has fenced itself.", flag(status.fenced));
    // Unknown values are left out rather than reported as 0, which would look healthy.
    if (status.lag_bytes)
        out.gauge("pgha_lag_bytes", "Replication lag of this standby in bytes.",
                  static_cast<double>(*status.lag_bytes));
    if (status.last_primary_contact_ms)
        out.gauge("pgha_last_primary_contact_seconds", "Seconds since this daemon last heard from the primary.",
                  static_cast<double>(*status.last_primary_contact_ms) / 1000.0);
    out.counter("pgha_failovers_total", "Promotions this daemon performed.", static_cast<double>(status.failovers));
    out.counter("pgha_hook_failures_total", "Event and fencing hooks that failed.",
                static_cast<double>(status.hook_failures));
    return out.take();
}

}  // namespace pgha
