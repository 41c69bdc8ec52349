// pghad: for now it loads and validates its configuration and exits; the
// monitoring loop, HTTP endpoints and failover come with the daemon issue.
#include <cstdio>
#include <cstring>
#include <string>

#include "config/config.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
    std::string path;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if ((arg == "-f" || arg == "--config-file") && i + 1 < argc) path = argv[++i];
        else if (arg.starts_with("--config-file=")) path = arg.substr(std::strlen("--config-file="));
        else if (arg == "--help") {
            std::puts("Usage: pghad -f pgha.toml\n\nLoads and validates the configuration file, then exits.\n"
                      "Exit codes: 0 valid, 1 invalid configuration or usage.");
            return 0;
        } else {
            std::fprintf(stderr, "ERROR: unknown argument \"%s\"\nHINT: run \"pghad --help\"\n", arg.c_str());
            return 1;
        }
    }
    if (path.empty()) {
        std::fputs("ERROR: no configuration file given\nHINT: run \"pghad -f /etc/pgha/pgha.toml\"\n", stderr);
        return 1;
    }
    try {
        auto config = pgha::load_config(path);
        std::printf("configuration \"%s\" is valid (node \"%s\", ID %d)\n", path.c_str(), config.node_name.c_str(),
                    config.node_id);
        return 0;
    } catch (const pgha::Error& error) {
        std::fprintf(stderr, "ERROR: %s\n", error.what());
        if (!error.detail().empty()) std::fprintf(stderr, "DETAIL: %s\n", error.detail().c_str());
        if (!error.hint().empty()) std::fprintf(stderr, "HINT: %s\n", error.hint().c_str());
        return static_cast<int>(error.code());
    }
}
