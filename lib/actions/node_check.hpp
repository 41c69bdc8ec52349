#pragma once
// node check: single health checks of this node with Nagios-style states.
// The decisions (a state from measured values and thresholds) are pure; only
// run_node_checks talks to servers.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actions/node_status.hpp"
#include "config/config.hpp"

namespace pgha {

// Nagios plugin states; the values are the Nagios exit codes.
enum class CheckState : int { ok = 0, warning = 1, critical = 2, unknown = 3 };

std::string to_string(CheckState state);  // OK, WARNING, CRITICAL, UNKNOWN

// The worst of two states: CRITICAL > WARNING > UNKNOWN > OK.
CheckState worst(CheckState a, CheckState b);

enum class CheckKind { role, replication_lag, downstream, slots, archive_ready };

std::string check_name(CheckKind kind);    // "replication_lag"
std::string nagios_label(CheckKind kind);  // "PGHA_REPLICATION_LAG"
std::vector<CheckKind> all_check_kinds();

struct CheckResult {
    CheckKind kind;
    CheckState state = CheckState::unknown;
    std::string message;   // "lag is 2.1MB"
    std::string perfdata;  // "lag=2202009B;16777216;67108864", may be empty
};

struct Thresholds {
    std::uint64_t warning = 0;
    std::uint64_t critical = 0;
};

inline constexpr Thresholds default_lag_thresholds{16ULL << 20, 64ULL << 20};
inline constexpr Thresholds default_archive_ready_thresholds{16, 128};

// "2.1MB", "512B": one decimal, binary units.
std::string human_size(std::uint64_t bytes);

// value >= critical: CRITICAL; value >= warning: WARNING; else OK.
CheckState threshold_state(std::uint64_t value, const Thresholds& thresholds);

// Pure decisions. `registered` is the metadata's type (nullopt: not registered),
// `live` the server's role (primary | standby).
CheckResult decide_role(const std::optional<std::string>& registered, const std::string& live);
CheckResult decide_replication_lag(const std::string& live, const std::optional<std::int64_t>& lag_bytes,
                                   const std::optional<std::string>& lag_error, const Thresholds& thresholds);
// expected: node names registered with this node as upstream; attached:
// application_names in pg_stat_replication.
CheckResult decide_downstream(const std::vector<std::string>& expected, const std::vector<std::string>& attached);
CheckResult decide_slots(const std::vector<SlotState>& slots);
CheckResult decide_archive_ready(const std::optional<std::int64_t>& ready_count,
                                 const std::optional<std::string>& error, const Thresholds& thresholds);

// The overall state of a set of results (OK when empty).
CheckState overall_state(const std::vector<CheckResult>& results);

struct NodeCheckOptions {
    std::vector<CheckKind> kinds;  // empty: all
    Thresholds lag = default_lag_thresholds;
    Thresholds archive_ready = default_archive_ready_thresholds;
};

// Connects to this node (ConnectError, exit 2, when it is down) and runs the
// checks in `options.kinds` order.
std::vector<CheckResult> run_node_checks(const Config& config, const NodeCheckOptions& options);

}  // namespace pgha
