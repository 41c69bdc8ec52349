#include "help.hpp"

#include <fmt/format.h>

#include <sstream>

#include "core/error.hpp"

namespace pgha::cli {
namespace {

std::string exit_codes() {
    std::string out = "Exit codes:\n";
    for (const auto& doc : exit_code_docs()) out += fmt::format("  {}  {}\n", doc.code, doc.meaning);
    return out;
}

std::string describe(const po::options_description& options) {
    std::ostringstream out;
    out << options;
    return out.str();
}

}  // namespace

const std::vector<ExitCodeDoc>& exit_code_docs() {
    static const std::vector<ExitCodeDoc> docs = {
        {static_cast<int>(ExitCode::ok), "success"},
        {static_cast<int>(ExitCode::usage), "usage or configuration error"},
        {static_cast<int>(ExitCode::connect), "cannot connect where a connection was required"},
        {static_cast<int>(ExitCode::refused),
         "refused: a precondition failed and nothing was changed (also a failing --dry-run)"},
        {static_cast<int>(ExitCode::partial),
         "the action started and failed part way (the message says what state things are in)"},
    };
    return docs;
}

const std::vector<Command>& all_commands() {
    static const std::vector<Command> commands = [] {
        std::vector<Command> all;
        for (auto group : {primary_commands(), standby_commands(), witness_commands(), node_commands(), rejoin_commands(),
                            cluster_commands(), daemon_commands()})
            all.insert(all.end(), group.begin(), group.end());
        return all;
    }();
    return commands;
}

std::string version_text() { return fmt::format("pgha {}\n", PGHA_VERSION); }

std::string general_help(const po::options_description& globals) {
    std::string out = "pgha: replication and failover manager for PostgreSQL\n\n"
                      "Usage: pgha [global options] OBJECT VERB [options]\n\nCommands:\n";
    for (const auto& command : all_commands())
        out += fmt::format("  {:<20} {}\n", command.object + " " + command.verb, command.summary);
    return out + "\n" + describe(globals) + "\n" + exit_codes();
}

std::optional<std::string> object_help(const std::string& object) {
    std::string out;
    for (const auto& command : all_commands())
        if (command.object == object) out += fmt::format("  pgha {} {:<12} {}\n", object, command.verb, command.summary);
    if (out.empty()) return std::nullopt;
    return fmt::format("Usage: pgha {} VERB [options]\n\nVerbs:\n{}\nRun \"pgha {} VERB --help\" for details.\n",
                       object, out, object);
}

std::string command_help(const Command& command, const po::options_description& globals) {
    std::string out = fmt::format("pgha {} {}: {}\n\nUsage: pgha [global options] {} {} [options]\n\n{}\n\n",
                                  command.object, command.verb, command.summary, command.object, command.verb,
                                  command.description);
    if (command.add_options) {
        po::options_description specific(command.object + " " + command.verb + " options");
        command.add_options(specific);
        out += describe(specific) + "\n";
    }
    return out + describe(globals) + "\n" + exit_codes();
}

}  // namespace pgha::cli
