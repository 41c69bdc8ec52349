// pgha: parse `pgha [global options] <object> <verb> [options]`, run the command,
// and map every error to the exit codes of DESIGN.md section 3. The only place
// that turns errors into exit codes.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>

#include "command.hpp"
#include "core/error.hpp"
#include "core/error_print.hpp"
#include "core/log.hpp"
#include "help.hpp"
#include "report.hpp"

namespace pgha::cli {
namespace {

// Positional words (object, verb) in argv, skipping options and their values.
std::vector<std::string> positional_words(const std::vector<std::string>& args) {
    std::set<std::string> takes_value;
    po::options_description everything;
    everything.add(global_options());
    for (const auto& command : all_commands()) {
        po::options_description specific;
        if (command.add_options) command.add_options(specific);
        for (const auto& option : specific.options()) everything.add(option);
    }
    for (const auto& option : everything.options()) {
        if (option->semantic()->max_tokens() == 0) continue;
        takes_value.insert(option->canonical_display_name(po::command_line_style::allow_long));
        auto short_name = option->canonical_display_name(po::command_line_style::allow_dash_for_short);
        if (short_name.size() == 2) takes_value.insert(short_name);
    }
    std::vector<std::string> words;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if (arg.starts_with("-")) {
            if (arg.find('=') == std::string::npos && takes_value.count(arg)) ++i;
            continue;
        }
        words.push_back(arg);
    }
    return words;
}

const Command* find_command(const std::string& object, const std::string& verb) {
    for (const auto& command : all_commands())
        if (command.object == object && command.verb == verb) return &command;
    return nullptr;
}

GlobalOptions read_globals(const po::variables_map& vm) {
    GlobalOptions globals;
    auto text = [&](const char* name) -> std::optional<std::string> {
        if (!vm.count(name)) return std::nullopt;
        return vm[name].as<std::string>();
    };
    globals.host = text("host");
    globals.port = text("port");
    globals.user = text("username");
    globals.dbname = text("dbname");
    globals.pgdata = text("pgdata");
    globals.force = vm.count("force") > 0;
    globals.dry_run = vm.count("dry-run") > 0;
    if (vm.count("csv") && vm.count("json")) throw usage_error("--csv and --json cannot be used together");
    if (vm.count("csv")) globals.format = OutputFormat::csv;
    if (vm.count("json")) globals.format = OutputFormat::json;
    return globals;
}

void apply_log_level(const po::variables_map& vm) {
    if (vm.count("verbose")) log::set_level(log::Level::info);
    if (vm.count("log-level")) {
        log::Level level;
        auto name = vm["log-level"].as<std::string>();
        if (!log::parse_level(name, level))
            throw usage_error("unknown log level \"" + name + "\"", "use debug, info, notice, warning or error");
        log::set_level(level);
    }
}

std::string config_path(const po::variables_map& vm) {
    if (vm.count("config-file")) return vm["config-file"].as<std::string>();
    if (const char* env = std::getenv("PGHA_CONFIG"); env && *env) return env;
    return "/etc/pgha/pgha.toml";
}

// `report` is set once the command is known to be a verb that changes something.
int run(const std::vector<std::string>& args, std::optional<ActionReport>& report) {
    auto words = positional_words(args);
    bool wants_help = std::find(args.begin(), args.end(), "--help") != args.end();
    if (std::find(args.begin(), args.end(), "--version") != args.end()) {
        print(version_text());
        return 0;
    }
    if (words.empty()) {
        print(general_help(global_options()));
        return wants_help ? 0 : static_cast<int>(ExitCode::usage);
    }
    if (words.size() == 1 || wants_help) {
        if (words.size() >= 2)
            if (const auto* command = find_command(words[0], words[1])) {
                print(command_help(*command, global_options()));
                return 0;
            }
        if (auto help = object_help(words[0])) {
            print(*help);
            return wants_help ? 0 : static_cast<int>(ExitCode::usage);
        }
        throw usage_error("unknown object \"" + words[0] + "\"", "run \"pgha --help\" for the list of commands");
    }
    const auto* command = find_command(words[0], words[1]);
    if (!command) {
        if (!object_help(words[0]))
            throw usage_error("unknown object \"" + words[0] + "\"", "run \"pgha --help\" for the list of commands");
        throw usage_error("unknown command \"" + words[0] + " " + words[1] + "\"",
                          "run \"pgha " + words[0] + " --help\" for its verbs");
    }
    if (command->act)
        report.emplace(command->object + " " + command->verb,
                       std::find(args.begin(), args.end(), "--json") != args.end());
    if (words.size() > 2)
        throw usage_error("unexpected argument \"" + words[2] + "\"",
                          "run \"pgha " + words[0] + " " + words[1] + " --help\"");

    po::options_description options = global_options();
    po::options_description specific(command->object + " " + command->verb + " options");
    if (command->add_options) command->add_options(specific);
    options.add(specific);
    po::options_description hidden;
    hidden.add_options()("words", po::value<std::vector<std::string>>());
    options.add(hidden);
    po::positional_options_description positional;
    positional.add("words", 2);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
    apply_log_level(vm);
    auto globals = read_globals(vm);
    if (!report) {
        Invocation invocation(vm, globals, config_path(vm));
        return command->run(invocation);
    }
    report->set_options(globals);
    Invocation invocation(vm, globals, config_path(vm), &*report);
    command->act(invocation, *report);
    return report->succeed();
}

// The error on stderr, or in the verb's report (its JSON object with --json).
int fail(std::optional<ActionReport>& report, const Error& error) {
    if (report) return report->fail(error);
    print_error(error);
    return static_cast<int>(error.code());
}

}  // namespace
}  // namespace pgha::cli

int main(int argc, char** argv) {
    using namespace pgha;
    std::vector<std::string> args(argv + 1, argv + argc);
    std::optional<cli::ActionReport> report;
    try {
        return cli::run(args, report);
    } catch (const Error& error) {
        return cli::fail(report, error);
    } catch (const boost::program_options::error& error) {
        return cli::fail(report, usage_error(error.what(), "run the command with --help for its options"));
    } catch (const std::exception& error) {
        return cli::fail(report, Error(ExitCode::partial, std::string("unexpected error: ") + error.what(), {},
                                       "check \"pgha cluster show\" for the state of the cluster"));
    }
}
