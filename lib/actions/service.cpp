#include "actions/service.hpp"

#include <filesystem>

#include "actions/pg_tools.hpp"
#include "process/command_line.hpp"

namespace pgha {

std::optional<ServiceAction> parse_service_action(const std::string& name) {
    if (name == "start") return ServiceAction::start;
    if (name == "stop") return ServiceAction::stop;
    if (name == "restart") return ServiceAction::restart;
    if (name == "reload") return ServiceAction::reload;
    return std::nullopt;
}

std::string to_string(ServiceAction action) {
    switch (action) {
        case ServiceAction::start: return "start";
        case ServiceAction::stop: return "stop";
        case ServiceAction::restart: return "restart";
        case ServiceAction::reload: return "reload";
        case ServiceAction::stop_now:
        case ServiceAction::stop_signal: return "stop";
    }
    return "?";
}

std::vector<std::string> service_command(const Config& config, ServiceAction action) {
    const std::string* configured = nullptr;
    switch (action) {
        case ServiceAction::start: configured = &config.service.start_command; break;
        case ServiceAction::stop:
        case ServiceAction::stop_now:
        case ServiceAction::stop_signal: configured = &config.service.stop_command; break;
        case ServiceAction::restart: configured = &config.service.restart_command; break;
        case ServiceAction::reload: configured = &config.service.reload_command; break;
    }
    if (!configured->empty()) return split_command(*configured);
    // pg_ctl waits (-w) so that "started" means accepting connections; the
    // server log goes beside the data directory's own files.
    std::vector<std::string> argv{pg_tool(config, "pg_ctl"), "-D", config.data_directory};
    if (action == ServiceAction::stop_signal) argv.push_back("-W");
    else argv.insert(argv.end(), {"-w", "-t", "60"});
    if (action == ServiceAction::start || action == ServiceAction::restart) {
        auto log = std::filesystem::path(config.data_directory) / "log" / "pgha-pg_ctl.log";
        std::filesystem::create_directories(log.parent_path());
        argv.insert(argv.end(), {"-l", log.string()});
    }
    if (action == ServiceAction::stop || action == ServiceAction::restart || action == ServiceAction::stop_signal)
        argv.insert(argv.end(), {"-m", "fast"});
    if (action == ServiceAction::stop_now) argv.insert(argv.end(), {"-m", "immediate"});
    argv.push_back(to_string(action));
    return argv;
}

ProcessResult run_service(const Config& config, ServiceAction action, Millis timeout) {
    return run_process(service_command(config, action), {.timeout = timeout});
}

}  // namespace pgha
