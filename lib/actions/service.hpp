#pragma once
// Starting and stopping this node's PostgreSQL: the [service] commands when
// configured (systemctl, pg_ctlcluster...), else pg_ctl on data_directory.
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "process/process.hpp"

namespace pgha {

// stop_now: fencing — stop without waiting for clients or a checkpoint
// (stop_command when configured, else pg_ctl -m immediate).
// stop_signal: a clean stop whose end the caller watches itself
// (stop_command when configured, else pg_ctl -m fast -W: pg_ctl's own wait
// polls only every 100 ms, too coarse for a switchover's write gap).
enum class ServiceAction { start, stop, restart, reload, stop_now, stop_signal };

std::optional<ServiceAction> parse_service_action(const std::string& name);
std::string to_string(ServiceAction action);

// The argv that performs the action on this node (never through a shell).
std::vector<std::string> service_command(const Config& config, ServiceAction action);

// Runs it, bounded by `timeout`; the result says what happened.
ProcessResult run_service(const Config& config, ServiceAction action, Millis timeout = Millis(120000));

}  // namespace pgha
