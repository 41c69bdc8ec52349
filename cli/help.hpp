#pragma once
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"

namespace pgha::cli {

// The options every command takes (global_options.cpp).
po::options_description global_options();

// The exit codes of DESIGN.md section 3, as --help and pgha(1) list them.
struct ExitCodeDoc {
    int code;
    std::string meaning;
};
const std::vector<ExitCodeDoc>& exit_code_docs();

std::string version_text();
std::string general_help(const po::options_description& globals);
// nullopt when there is no such object.
std::optional<std::string> object_help(const std::string& object);
std::string command_help(const Command& command, const po::options_description& globals);

}  // namespace pgha::cli
