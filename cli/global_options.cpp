// The global options of every pgha command: the CLI parses them, help prints
// them, and the man page and bash completion are generated from them.
#include "help.hpp"

namespace pgha::cli {

po::options_description global_options() {
    po::options_description options("Global options");
    options.add_options()
        ("config-file,f", po::value<std::string>(), "configuration file (default: $PGHA_CONFIG, else /etc/pgha/pgha.toml)")
        ("host,h", po::value<std::string>(), "host of the server to use (an upstream, for standby clone)")
        ("port,p", po::value<std::string>(), "port of that server")
        ("username,U", po::value<std::string>(), "user name for that server")
        ("dbname,d", po::value<std::string>(), "database name, or a whole conninfo string")
        ("pgdata,D", po::value<std::string>(), "data directory (default: data_directory from the config)")
        ("force,F", "do it even though a check says no (see each command)")
        ("dry-run", "check everything, change nothing")
        ("csv", "machine-readable CSV output")
        ("json", "machine-readable JSON output")
        ("log-level,L", po::value<std::string>(), "debug, info, notice, warning or error")
        ("verbose,v", "more detail (log level info)")
        ("help", "show help (also: pgha OBJECT --help, pgha OBJECT VERB --help)")
        ("version", "show the version");
    return options;
}

}  // namespace pgha::cli
