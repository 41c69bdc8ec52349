#pragma once
#include <optional>
#include <string>

#include "command.hpp"

namespace pgha::cli {

std::string version_text();
std::string general_help(const po::options_description& globals);
// nullopt when there is no such object.
std::optional<std::string> object_help(const std::string& object);
std::string command_help(const Command& command, const po::options_description& globals);

}  // namespace pgha::cli
