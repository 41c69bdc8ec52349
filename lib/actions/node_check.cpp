// The pure decisions of node check.
#include "actions/node_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace pgha {
namespace {

int severity(CheckState state) {
    switch (state) {
        case CheckState::ok: return 0;
        case CheckState::unknown: return 1;
        case CheckState::warning: return 2;
        case CheckState::critical: return 3;
    }
    return 1;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

std::string threshold_perfdata(const std::string& label, std::uint64_t value, const std::string& unit,
                               const Thresholds& thresholds) {
    return fmt::format("{}={}{};{};{}", label, value, unit, thresholds.warning, thresholds.critical);
}

}  // namespace

std::string to_string(CheckState state) {
    switch (state) {
        case CheckState::ok: return "OK";
        case CheckState::warning: return "WARNING";
        case CheckState::critical: return "CRITICAL";
        case CheckState::unknown: return "UNKNOWN";
    }
    return "UNKNOWN";
}

CheckState worst(CheckState a, CheckState b) { return severity(a) >= severity(b) ? a : b; }

std::string check_name(CheckKind kind) {
    switch (kind) {
        case CheckKind::role: return "role";
        case CheckKind::replication_lag: return "replication_lag";
        case CheckKind::downstream: return "downstream";
        case CheckKind::slots: return "slots";
        case CheckKind::archive_ready: return "archive_ready";
    }
    return "?";
}

std::string nagios_label(CheckKind kind) {
    auto name = check_name(kind);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
    return "PGHA_" + name;
}

std::vector<CheckKind> all_check_kinds() {
    return {CheckKind::role, CheckKind::replication_lag, CheckKind::downstream, CheckKind::slots,
            CheckKind::archive_ready};
}

std::string human_size(std::uint64_t bytes) {
    constexpr std::array units{"kB", "MB", "GB", "TB"};
    if (bytes < 1024) return fmt::format("{}B", bytes);
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    value /= 1024;
    while (value >= 1024 && unit + 1 < units.size()) {
        value /= 1024;
        ++unit;
    }
    return fmt::format("{:.1f}{}", value, units[unit]);
}

CheckState threshold_state(std::uint64_t value, const Thresholds& thresholds) {
    if (value >= thresholds.critical) return CheckState::critical;
    if (value >= thresholds.warning) return CheckState::warning;
    return CheckState::ok;
}

CheckResult decide_role(const std::optional<std::string>& registered, const std::string& live) {
    CheckResult result{CheckKind::role};
    if (!registered) {
        result.state = CheckState::unknown;
        result.message = fmt::format("node is not registered (running as {})", live);
        return result;
    }
    // A witness is a separate server outside replication: never in recovery.
    bool matches = *registered == "witness" ? live == "primary" : *registered == live;
    result.state = matches ? CheckState::ok : CheckState::critical;
    result.message = matches ? fmt::format("node is {}", *registered)
                             : fmt::format("node is registered as {} but runs as {}", *registered, live);
    return result;
}

CheckResult decide_replication_lag(const std::string& live, const std::optional<std::int64_t>& lag_bytes,
                                   const std::optional<std::string>& lag_error, const Thresholds& thresholds) {
    CheckResult result{CheckKind::replication_lag};
    if (live == "primary") {
        result.state = CheckState::ok;
        result.message = "primary";
        return result;
    }
    if (!lag_bytes) {
        result.state = CheckState::unknown;
        result.message = "lag is unknown: " + lag_error.value_or("the primary's position could not be read");
        return result;
    }
    auto lag = static_cast<std::uint64_t>(std::max<std::int64_t>(0, *lag_bytes));
    result.state = threshold_state(lag, thresholds);
    result.message = fmt::format("lag is {}", human_size(lag));
    result.perfdata = threshold_perfdata("lag", lag, "B", thresholds);
    return result;
}

CheckResult decide_downstream(const std::vector<std::string>& expected, const std::vector<std::string>& attached) {
    CheckResult result{CheckKind::downstream};
    std::vector<std::string> missing;
    for (const auto& name : expected)
        if (std::find(attached.begin(), attached.end(), name) == attached.end()) missing.push_back(name);
    auto present = expected.size() - missing.size();
    result.perfdata = fmt::format("attached={} missing={}", present, missing.size());
    if (expected.empty()) {
        result.state = CheckState::ok;
        result.message = "no downstream nodes are registered";
    } else if (missing.empty()) {
        result.state = CheckState::ok;
        result.message = fmt::format("{} of {} downstream nodes attached", present, expected.size());
    } else {
        result.state = CheckState::critical;
        result.message = fmt::format("{} of {} downstream nodes not attached: {}", missing.size(), expected.size(),
                                     joined(missing));
    }
    return result;
}

CheckResult decide_slots(const std::vector<SlotState>& slots) {
    CheckResult result{CheckKind::slots};
    std::vector<std::string> inactive;
    std::size_t physical = 0;
    for (const auto& slot : slots) {
        if (slot.type != "physical") continue;
        ++physical;
        if (!slot.active) inactive.push_back(slot.name);
    }
    result.perfdata = fmt::format("inactive={} physical={}", inactive.size(), physical);
    if (!inactive.empty()) {
        result.state = CheckState::critical;
        result.message = fmt::format("{} of {} physical replication slots inactive: {}", inactive.size(), physical,
                                     joined(inactive));
        return result;
    }
    result.state = CheckState::ok;
    result.message = physical == 0 ? "no physical replication slots"
                                   : fmt::format("{} physical replication slots, all active", physical);
    return result;
}

CheckResult decide_archive_ready(const std::optional<std::int64_t>& ready_count,
                                 const std::optional<std::string>& error, const Thresholds& thresholds) {
    CheckResult result{CheckKind::archive_ready};
    if (!ready_count) {
        result.state = CheckState::unknown;
        result.message = "the number of .ready files is unknown: " + error.value_or("it could not be read");
        return result;
    }
    auto count = static_cast<std::uint64_t>(std::max<std::int64_t>(0, *ready_count));
    result.state = threshold_state(count, thresholds);
    result.message = fmt::format("{} WAL files waiting to be archived", count);
    result.perfdata = threshold_perfdata("ready", count, "", thresholds);
    return result;
}

CheckState overall_state(const std::vector<CheckResult>& results) {
    CheckState state = CheckState::ok;
    for (const auto& result : results) state = worst(state, result.state);
    return state;
}

}  // namespace pgha
