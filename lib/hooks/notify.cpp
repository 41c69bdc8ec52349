#include "hooks/notify.hpp"

#include <algorithm>
#include <atomic>

#include "core/error.hpp"
#include "core/log.hpp"
#include "hooks/placeholders.hpp"
#include "process/command_line.hpp"

namespace pgha {
namespace {
std::atomic<std::uint64_t> failures{0};
}

std::uint64_t hook_failure_count() { return failures.load(); }

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
        ++failures;
        return std::nullopt;
    }
    ProcessOptions options;
    options.timeout = settings.timeout;
    auto result = run_process(argv, options);
    if (result.succeeded()) {
        log::info("event hook for \"{}\" succeeded", event.type);
    } else {
        ++failures;
        log::warning("event hook \"{}\" for event \"{}\" {}{}{}", argv[0], event.type, result.describe(),
                     result.output.empty() ? "" : "; its output: ", result.output);
    }
    return result;
}

}  // namespace pgha
