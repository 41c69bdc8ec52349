#include "actions/pg_tools.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "process/process.hpp"

namespace pgha {
namespace fs = std::filesystem;

std::string pg_tool(const Config& config, const std::string& program) {
    if (!config.pg_bindir.empty()) return (fs::path(config.pg_bindir) / program).string();
    if (const char* path = std::getenv("PATH")) {
        std::stringstream dirs(path);
        for (std::string dir; std::getline(dirs, dir, ':');) {
            auto candidate = fs::path(dir) / program;
            if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        }
    }
    auto result = run_process({"pg_config", "--bindir"}, {.timeout = Millis(5000)});
    if (result.succeeded()) {
        auto dir = result.output;
        while (!dir.empty() && (dir.back() == '\n' || dir.back() == ' ')) dir.pop_back();
        if (!dir.empty()) return (fs::path(dir) / program).string();
    }
    return program;
}

}  // namespace pgha
