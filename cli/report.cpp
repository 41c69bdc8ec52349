#include "report.hpp"

#include <fmt/format.h>

#include <optional>

#include "actions/emit_event.hpp"
#include "command.hpp"
#include "core/error_print.hpp"
#include "output/render.hpp"

namespace pgha::cli {

struct ActionReport::State {
    ActionRecord record;
    bool json = false;
    OutputFormat format = OutputFormat::table;
    std::optional<NodeRef> this_node;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    EventCapture events;  // what the action records, from now until the report is gone

    int finish(std::optional<Error> error) {
        record.error = std::move(error);
        if (!record.node) record.node = this_node;
        record.events = events.events();
        record.total = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
        print(render_action(record));
        return record.error ? static_cast<int>(record.error->code()) : 0;
    }
};

ActionReport::ActionReport(std::string command, bool json) : state_(std::make_unique<State>()) {
    state_->record.command = std::move(command);
    state_->json = json;
    if (json) state_->format = OutputFormat::json;
}

ActionReport::~ActionReport() = default;

void ActionReport::set_options(const GlobalOptions& options) {
    state_->format = options.format;
    state_->json = options.format == OutputFormat::json;
    state_->record.dry_run = options.dry_run;
}

bool ActionReport::json() const { return state_->json; }

void ActionReport::say(const std::string& line) {
    if (state_->json) state_->record.messages.push_back(line);
    else print(line);
}

void ActionReport::human(const std::string& text) {
    if (!state_->json) print(text);
}

void ActionReport::step(Millis at, const std::string& line) {
    if (state_->json) state_->record.steps.emplace_back(at, line);
    else print(fmt::format("[{:5} ms] {}", at.count(), line));
}

void ActionReport::timing(const std::string& key, Millis value) { state_->record.timings.emplace_back(key, value); }

void ActionReport::this_node(const NodeRef& node) { state_->this_node = node; }

void ActionReport::node(const NodeRef& node) { state_->record.node = node; }

void ActionReport::detail(const std::string& key, DetailValue value) {
    state_->record.details.emplace_back(key, std::move(value));
}

void ActionReport::plan(std::vector<std::string> steps) { state_->record.plan = std::move(steps); }

void ActionReport::checks(const Checks& checks) { state_->record.checks = checks; }

void ActionReport::dry_run(const Checks& checks, const std::vector<std::string>& plan) {
    const auto& command = state_->record.command;
    state_->record.checks = checks;
    if (!state_->json) print(render_checks(checks, state_->format));
    if (!all_passed(checks)) {
        if (!state_->json)
            throw refused(command + " --dry-run: a check failed (see [FAIL] above); nothing was changed");
        std::vector<std::string> failed;
        std::string hint;
        for (const auto& check : checks) {
            if (check.passed) continue;
            failed.push_back(check.detail.empty() ? check.name : check.name + ": " + check.detail);
            if (hint.empty()) hint = check.hint;
        }
        throw refused(command + " --dry-run: a check failed (see \"checks\"); nothing was changed",
                      fmt::format("{}", fmt::join(failed, "\n")), hint);
    }
    state_->record.plan = plan;
    if (state_->format == OutputFormat::table) {
        for (const auto& step : plan) print("dry run: " + step);
        print("dry run: all checks passed; nothing was changed");
    }
}

int ActionReport::succeed() {
    if (!state_->json) return 0;
    return state_->finish(std::nullopt);
}

int ActionReport::fail(const Error& error) {
    if (!state_->json) {
        print_error(error);
        return static_cast<int>(error.code());
    }
    return state_->finish(error);
}

}  // namespace pgha::cli
