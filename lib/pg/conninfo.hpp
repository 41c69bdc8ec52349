#pragma once
// libpq connection strings: validation, parsing, rebuilding and password removal.
// Nothing in pgha prints a conninfo without passing it through redact_conninfo.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pgha::pg {

using ConninfoParams = std::vector<std::pair<std::string, std::string>>;

// nullopt when libpq accepts the string, else libpq's reason.
std::optional<std::string> conninfo_problem(const std::string& conninfo);

// Only the keywords that are set. Throws pgha::Error(usage) when invalid.
ConninfoParams parse_conninfo(const std::string& conninfo);

// key=value form, values quoted where needed.
std::string format_conninfo(const ConninfoParams& params);

// The conninfo with `password` removed; an unparseable string is hidden entirely.
std::string redact_conninfo(const std::string& conninfo);

std::optional<std::string> conninfo_value(const std::string& conninfo, const std::string& key);

// The conninfo with each override set (replacing an existing value).
std::string conninfo_with(const std::string& conninfo, const ConninfoParams& overrides);

// "host=... port=..." as a short human label for messages.
std::string conninfo_label(const std::string& conninfo);

}  // namespace pgha::pg
