#include "actions/pg_tools.hpp"

#include <filesystem>

#include "process/command_line.hpp"
#include "process/process.hpp"

namespace pgha {
namespace fs = std::filesystem;

std::string pg_tool(const Config& config, const std::string& program) {
    if (!config.pg_bindir.empty()) return (fs::path(config.pg_bindir) / program).string();
    if (auto found = find_program(program)) return *found;
    auto result = run_process({"pg_config", "--bindir"}, {.timeout = Millis(5000)});
    if (result.succeeded()) {
        auto dir = result.output;
        while (!dir.empty() && (dir.back() == '\n' || dir.back() == ' ')) dir.pop_back();
        if (!dir.empty()) return (fs::path(dir) / program).string();
    }
    return program;
}

}  // namespace pgha
