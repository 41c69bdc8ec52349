#include "hooks/notify.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/log.hpp"
#include "hooks/placeholders.hpp"
#include "process/command_line.hpp"

namespace pgha {

std::optional<ProcessResult> run_event_hook(const EventSettings& settings, const Event& event) {
    if (settings.command.empty()) return std::nullopt;
    if (!settings.include.empty() &&
        std::find(settings.include.begin(), settings.include.end(), event.type) == settings.include.end())
        return std::nullopt;
    std::vector<std::string> argv;
    try {
        argv = expand_placeholders(split_command(settings.command), event);
    } catch (const Error& error) {
        log::warning("event hook not run: {}", error.what());
        return std::nullopt;
    }
    ProcessOptions options;
    options.timeout = settings.timeout;
    auto result = run_process(argv, options);
    if (result.succeeded()) {
        log::info("event hook for \"{}\" succeeded", event.type);
    } else {
        log::warning("event hook \"{}\" for event \"{}\" {}{}{}", argv[0], event.type, result.describe(),
                     result.output.empty() ? "" : "; its output: ", result.output);
    }
    return result;
}

}  // namespace pgha
