// The generated parts of pgha(1): the command table, its options, exit codes.
#include <fmt/format.h>

#include <cctype>

#include "../command.hpp"
#include "../help.hpp"
#include "docgen.hpp"
#include "roff.hpp"

namespace pgha::docgen {
namespace {

std::string sentence(std::string text) {
    if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    if (!text.empty() && text.back() != '.') text += '.';
    return text;
}

// Objects in table order, each with its verbs.
std::vector<std::pair<std::string, std::vector<std::string>>> objects() {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (const auto& command : cli::all_commands()) {
        if (out.empty() || out.back().first != command.object) out.push_back({command.object, {}});
        out.back().second.push_back(command.verb);
    }
    return out;
}

std::string objects_list() {
    std::string out;
    for (const auto& [object, verbs] : objects())
        out += ".TP\n" + roff::bold(object) + "\n" + roff::escape(fmt::format("{}", fmt::join(verbs, ", "))) + "\n";
    return out;
}

std::string commands() {
    std::string out;
    for (const auto& command : cli::all_commands()) {
        out += fmt::format(".SS \"pgha {} {}\"\n", command.object, command.verb);
        out += ".PP\n" + roff::italic(sentence(command.summary)) + "\n";
        out += roff::text_block(command.description);
        if (command.add_options) {
            po::options_description specific;
            command.add_options(specific);
            out += ".PP\nOptions:\n.RS 4\n" + roff::option_list(option_docs(specific)) + ".RE\n";
        }
    }
    return out;
}

std::string exit_status() {
    std::string out;
    for (const auto& doc : cli::exit_code_docs())
        out += fmt::format(".TP\n.B {}\n{}\n", doc.code, roff::escape(sentence(doc.meaning)));
    return out;
}

}  // namespace

Markers pgha_markers() {
    return {
        {"GLOBAL_OPTIONS", roff::option_list(option_docs(cli::global_options()))},
        {"OBJECTS", objects_list()},
        {"COMMANDS", commands()},
        {"EXIT_STATUS", exit_status()},
    };
}

}  // namespace pgha::docgen
