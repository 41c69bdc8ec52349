#include "actions/node_service.hpp"

#include <fmt/format.h>

#include "actions/connect.hpp"
#include "pg/conninfo.hpp"

namespace pgha {
namespace {

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

}  // namespace

ServicePlan plan_service(const Config& config, const std::string& action_name, bool checkpoint) {
    auto action = parse_service_action(action_name);
    if (!action)
        throw usage_error(fmt::format("unknown service action \"{}\"", action_name),
                          "use --action=start, stop, restart or reload");
    if (checkpoint && *action != ServiceAction::stop && *action != ServiceAction::restart)
        throw usage_error(fmt::format("--checkpoint applies only to stop and restart, not to {}", action_name),
                          "omit --checkpoint");
    return {*action, checkpoint, service_command(config, *action)};
}

std::string quote_argv(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& word : argv) {
        if (!out.empty()) out += ' ';
        bool plain = !word.empty() && word.find_first_of(" \t\n'\"\\$`;&|<>()*?") == std::string::npos;
        if (plain) {
            out += word;
            continue;
        }
        out += '\'';
        for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        out += '\'';
    }
    return out;
}

std::string describe_service_plan(const ServicePlan& plan) {
    std::string out;
    int step = 1;
    if (plan.checkpoint) out += fmt::format("{}. CHECKPOINT on this node\n", step++);
    out += fmt::format("{}. {}\n", step, quote_argv(plan.argv));
    return out;
}

std::string run_service_plan(const Config& config, const ServicePlan& plan) {
    if (plan.checkpoint) {
        auto local = connect_local(config);
        local.exec("CHECKPOINT");
    }
    auto result = run_process(plan.argv, {.timeout = Millis(120000)});
    if (!result.succeeded())
        throw Error(ExitCode::partial,
                    fmt::format("{} of PostgreSQL on node \"{}\" (ID {}) failed: {}", to_string(plan.action),
                                config.node_name, config.node_id, result.describe()),
                    trimmed(result.started ? result.output : result.start_error),
                    fmt::format("the command was: {}; check the server log, then \"pgha node status\"",
                                quote_argv(plan.argv)));
    return fmt::format("{} of PostgreSQL on node \"{}\" (ID {}) done", to_string(plan.action), config.node_name,
                       config.node_id);
}

}  // namespace pgha
