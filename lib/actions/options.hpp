#pragma once
// What the user asked for on the command line, as plain data for the actions.
#include <optional>
#include <string>

namespace pgha {

enum class OutputFormat { table, csv, json };

struct GlobalOptions {
    std::optional<std::string> host;
    std::optional<std::string> port;
    std::optional<std::string> user;
    std::optional<std::string> dbname;  // a database name or a whole conninfo
    std::optional<std::string> pgdata;
    bool force = false;
    bool dry_run = false;
    OutputFormat format = OutputFormat::table;
};

}  // namespace pgha
