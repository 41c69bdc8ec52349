#pragma once
// How every verb that changes something reports. Without --json: its lines
// for a person as it goes (stdout), errors as ERROR/DETAIL/HINT (stderr), as
// before. With --json: nothing on stdout but one JSON object at the end —
// what was done or the error (output/render_action.hpp) — with the same exit
// code. One ActionReport per invocation, created by main once it knows the verb.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actions/check.hpp"
#include "actions/options.hpp"
#include "core/error.hpp"
#include "core/units.hpp"
#include "output/render_action.hpp"

namespace pgha::cli {

class ActionReport {
public:
    // json: --json was asked for (known before the options are parsed, so
    // that a bad option is reported as JSON too).
    ActionReport(std::string command, bool json);
    ~ActionReport();
    ActionReport(const ActionReport&) = delete;
    ActionReport& operator=(const ActionReport&) = delete;

    void set_options(const GlobalOptions& options);  // once parsed: format, dry run
    bool json() const;

    // A line for a person: printed now without --json, kept in "messages" with it.
    void say(const std::string& line);
    // Text only a person reads (printed without --json, dropped with it).
    void human(const std::string& text);
    // A step the action timed: "[  123 ms] line" now, or in "timings.steps".
    void step(Millis at, const std::string& line);
    void timing(const std::string& key, Millis value);  // "timings": key, in seconds

    void this_node(const NodeRef& node);  // the node the command runs as (its configuration)
    void node(const NodeRef& node);       // the node acted on, when another one
    void detail(const std::string& key, DetailValue value);
    void plan(std::vector<std::string> steps);
    void checks(const Checks& checks);    // the checks a real run passed

    // --dry-run: shows (or keeps) the checks and, when they all passed, the
    // plan; throws the refusal (exit 3) naming the command when one failed.
    void dry_run(const Checks& checks, const std::vector<std::string>& plan);

    int succeed();                 // --json: prints the object; returns 0
    int fail(const Error& error);  // prints the error (--json: the object); returns its exit code

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace pgha::cli
