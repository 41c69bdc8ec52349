#pragma once
// Splits a configured command ("/etc/pgha/hooks/dns-update %n '%a'") into argv
// without a shell: quotes group words, nothing is expanded or executed.
#include <optional>
#include <string>
#include <vector>

namespace pgha {

// Single quotes keep everything literally; double quotes allow \" and \\;
// a backslash outside quotes escapes the next character. Throws
// pgha::Error(usage) on an unterminated quote.
std::vector<std::string> split_command(const std::string& command);

// Where `program` would be executed from: itself when it names a path (has a
// "/"), else the first executable match on PATH; nullopt when there is none.
std::optional<std::string> find_program(const std::string& program);

}  // namespace pgha
