#pragma once
// Splits a configured command ("/etc/pgha/hooks/dns-update %n '%a'") into argv
// without a shell: quotes group words, nothing is expanded or executed.
#include <string>
#include <vector>

namespace pgha {

// Single quotes keep everything literally; double quotes allow \" and \\;
// a backslash outside quotes escapes the next character. Throws
// pgha::Error(usage) on an unterminated quote.
std::vector<std::string> split_command(const std::string& command);

}  // namespace pgha
