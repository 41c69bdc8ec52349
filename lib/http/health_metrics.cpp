// GET /metrics: Prometheus text exposition format 0.0.4. Every sample carries
// the `cluster` and `node` labels, and every series is written in every role
// (NaN where a value is unknown or does not apply), so that a role change
// leaves no series behind and an unknown value never looks healthy.
#include "http/health.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

namespace pgha {
namespace {

constexpr double nan = DaemonMetrics::unknown;

// Prometheus writes NaN and the infinities its own way.
std::string sample_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", value);
}

class MetricsText {
public:
    MetricsText(const std::string& cluster, const std::string& node)
        : labels_(fmt::format("cluster=\"{}\",node=\"{}\"", escape_label_value(cluster), escape_label_value(node))) {}

    void describe(std::string_view name, std::string_view type, std::string_view help) {
        text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, double value, std::string_view extra_labels = {}) {
        std::string labels = labels_;
        if (!extra_labels.empty()) labels += fmt::format(",{}", extra_labels);
        text_ += fmt::format("{}{{{}}} {}\n", name, labels, sample_value(value));
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
    std::string labels_;
    std::string text_;
};

double flag(bool value) { return value ? 1 : 0; }

// Every known value of a label gets a sample so that a change never leaves a
// stale series behind; an unexpected value is added.
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

void failovers_metric(MetricsText& out, const DaemonMetrics& m) {
    out.describe("pgha_failovers_total", "counter",
                 "Promotions of this node to primary other than switchovers, by reason: primary_crashed and "
                 "primary_lost are elections this daemon won, manual a promotion by hand.");
    constexpr std::array<std::string_view, 3> known{"primary_crashed", "primary_lost", "manual"};
    for (auto reason : known) {
        auto found = m.failovers.find(std::string(reason));
        out.sample("pgha_failovers_total", found == m.failovers.end() ? 0 : static_cast<double>(found->second),
                   fmt::format("reason=\"{}\"", reason));
    }
    for (const auto& [reason, count] : m.failovers)
        if (std::find(known.begin(), known.end(), reason) == known.end())
            out.sample("pgha_failovers_total", static_cast<double>(count),
                       fmt::format("reason=\"{}\"", escape_label_value(reason)));
}

double lag_bytes(const DaemonStatus& status) {
    if (status.role == "primary") return 0;
    if (status.lag_bytes) return static_cast<double>(*status.lag_bytes);
    return nan;
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
    const auto& m = status.metrics;
    MetricsText out(m.cluster, status.node_name);
    out.gauge("pgha_up", "1 while pghad answers.", 1);
    out.gauge("pgha_postgres_up", "1 when the local PostgreSQL is up.", flag(status.postgres_up));
    role_metric(out, status.role);
    out.gauge("pgha_is_primary", "1 when the local PostgreSQL runs as primary.", flag(status.role == "primary"));
    out.gauge("pgha_writable", "1 when the local PostgreSQL accepts writes.", flag(status.writable));
    out.gauge("pgha_term", "The cluster term this daemon knows.", static_cast<double>(status.term));
    out.gauge("pgha_paused", "1 when automatic failover is paused.", flag(status.paused));
    out.gauge("pgha_fenced", "1 when this node has fenced itself.", flag(status.fenced));
    out.gauge("pgha_timeline", "The local PostgreSQL's timeline (NaN when down).", m.timeline);
    out.gauge("pgha_wal_current_lsn_bytes", "A primary's current WAL position, pg_current_wal_lsn(), in bytes.",
              m.current_lsn);
    out.gauge("pgha_wal_received_lsn_bytes", "A standby's last received WAL position in bytes.", m.received_lsn);
    out.gauge("pgha_wal_replayed_lsn_bytes", "A standby's last replayed WAL position in bytes.", m.replayed_lsn);
    out.gauge("pgha_lag_bytes", "Replication lag of this standby behind the primary in bytes (0 on the primary).",
              lag_bytes(status));
    out.gauge("pgha_replay_lag_seconds",
              "Age of the last transaction a standby replayed, 0 when it replayed all it received "
              "(0 on the primary).",
              m.replay_lag_seconds);
    out.gauge("pgha_last_primary_contact_seconds", "Seconds since this daemon last heard from the primary.",
              status.last_primary_contact_ms ? static_cast<double>(*status.last_primary_contact_ms) / 1000.0 : nan);
    out.gauge("pgha_pending_restart", "Settings of the local PostgreSQL that wait for a restart.", m.pending_restart);
    out.gauge("pgha_server_version_num", "The local PostgreSQL's server_version_num.", m.server_version);
    out.gauge("pgha_postmaster_start_time_seconds", "When the local postmaster started, in unix seconds.",
              m.postmaster_start_seconds);
    out.gauge("pgha_lease_remaining_seconds",
              "Seconds left of the primary's lease before it fences itself (NaN when not the primary).",
              m.lease_remaining_seconds);
    out.gauge("pgha_promise_remaining_seconds",
              "Seconds this voter still promises not to vote for another node than the primary.",
              m.promise_remaining_seconds);
    out.gauge("pgha_voters_visible", "Voters this daemon heard from within lease_timeout, itself included.",
              m.voters_visible);
    out.gauge("pgha_quorum_size", "Votes a quorum of the registered nodes needs.", m.quorum_size);
    out.gauge("pgha_primaries_seen", "Nodes this daemon sees acting as primary (more than 1: split brain).",
              m.primaries_seen);
    failovers_metric(out, m);
    out.counter("pgha_switchovers_total", "Switchovers that promoted this node.", static_cast<double>(m.switchovers));
    out.gauge("pgha_last_failover_detection_seconds",
              "Last failover of this node: from the last contact with the old primary to the election's start.",
              m.last_detection_seconds);
    out.gauge("pgha_last_failover_election_seconds",
              "Last failover of this node: from asking for votes to the promotion's start.", m.last_election_seconds);
    out.gauge("pgha_last_failover_promotion_seconds", "Last failover or switchover of this node: the promotion.",
              m.last_promotion_seconds);
    out.gauge("pgha_last_failover_total_seconds",
              "Last failover or switchover of this node: from the last contact with the old primary (a "
              "switchover: its start) to the promotion's end.",
              m.last_total_seconds);
    out.gauge("pgha_last_failover_write_unavailable_seconds",
              "Last failover or switchover of this node: from the last round that found the old primary "
              "writable to this node accepting writes.",
              m.last_write_unavailable_seconds);
    out.gauge("pgha_last_failover_timestamp_seconds", "When the last failover or switchover of this node ended.",
              m.last_finished_seconds);
    out.gauge("pgha_last_failover_switchover", "1 when the last promotion of this node was a switchover, 0 a failover.",
              m.last_was_switchover);
    out.counter("pgha_hook_failures_total", "Event and fencing hooks that failed.",
                static_cast<double>(status.hook_failures));
    return out.take();
}

}  // namespace pgha
