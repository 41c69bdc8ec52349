#pragma once
// The command table: one entry per `pgha <object> <verb>`, driving dispatch and --help.
#include <boost/program_options.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "actions/options.hpp"
#include "config/config.hpp"

namespace pgha::cli {

namespace po = boost::program_options;

class ActionReport;

class Invocation {
public:
    // report: the verb's report (a verb that changes something), told which
    // node this is once the configuration is loaded; else nullptr.
    Invocation(po::variables_map vm, GlobalOptions globals, std::string config_path, ActionReport* report = nullptr)
        : vm_(std::move(vm)), globals_(std::move(globals)), config_path_(std::move(config_path)), report_(report) {}

    const GlobalOptions& globals() const { return globals_; }
    const Config& config();  // loaded on first use
    bool has(const std::string& option) const { return vm_.count(option) > 0; }
    template <typename T>
    std::optional<T> get(const std::string& option) const {
        if (!vm_.count(option)) return std::nullopt;
        return vm_[option].as<T>();
    }

private:
    po::variables_map vm_;
    GlobalOptions globals_;
    std::string config_path_;
    ActionReport* report_;
    std::optional<Config> config_;
};

struct Command {
    std::string object;
    std::string verb;
    std::string summary;
    std::string description;  // shown by --help
    std::function<void(po::options_description&)> add_options;
    std::function<int(Invocation&)> run;  // returns the exit code; throws pgha::Error
    // Set instead of run by a verb that changes something: it tells the report
    // what it does and did (--json prints that as one object); throws pgha::Error.
    std::function<void(Invocation&, ActionReport&)> act;
};

std::vector<Command> primary_commands();
std::vector<Command> standby_commands();
std::vector<Command> cluster_commands();
std::vector<Command> node_commands();
std::vector<Command> witness_commands();
std::vector<Command> rejoin_commands();
std::vector<Command> daemon_commands();
const std::vector<Command>& all_commands();

void print(const std::string& text);  // stdout, flushed

}  // namespace pgha::cli
