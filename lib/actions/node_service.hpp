#pragma once
// node service: start, stop, restart or reload this node's PostgreSQL through
// the [service] commands (or pg_ctl), optionally after a CHECKPOINT.
#include <string>
#include <vector>

#include "actions/service.hpp"
#include "config/config.hpp"

namespace pgha {

struct ServicePlan {
    ServiceAction action = ServiceAction::start;
    bool checkpoint = false;        // CHECKPOINT on this node first (stop/restart only)
    std::vector<std::string> argv;  // what runs, never through a shell
};

// Throws a usage error for an unknown action or --checkpoint with start/reload.
ServicePlan plan_service(const Config& config, const std::string& action_name, bool checkpoint);

// The steps, one a line, as --dry-run and --list-actions print them. Pure.
std::string describe_service_plan(const ServicePlan& plan);

// One argv as a copy-pasteable line: words with spaces or quotes are quoted.
std::string quote_argv(const std::vector<std::string>& argv);

// Runs the plan; returns the success message. CHECKPOINT failing → ConnectError
// or refusal (nothing done); the command failing → Error(partial) with its output.
std::string run_service_plan(const Config& config, const ServicePlan& plan);

}  // namespace pgha
