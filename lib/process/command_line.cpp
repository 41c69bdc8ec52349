#include "process/command_line.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/error.hpp"

namespace pgha {

std::vector<std::string> split_command(const std::string& command) {
    std::vector<std::string> argv;
    std::string current;
    bool in_word = false;
    for (std::size_t i = 0; i < command.size(); ++i) {
        char c = command[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) argv.push_back(std::move(current));
            current.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\\' && i + 1 < command.size()) {
            current += command[++i];
        } else if (c == '\'' || c == '"') {
            char quote = c;
            auto end = i + 1;
            for (; end < command.size() && command[end] != quote; ++end) {
                if (quote == '"' && command[end] == '\\' && end + 1 < command.size() &&
                    (command[end + 1] == '"' || command[end + 1] == '\\'))
                    ++end;
                current += command[end];
            }
            if (end >= command.size())
                throw usage_error("unterminated " + std::string(quote == '"' ? "double" : "single") +
                                      " quote in command: " + command,
                                  "close the quote; commands are split into words like a shell does, "
                                  "but are never run through one");
            i = end;
        } else {
            current += c;
        }
    }
    if (in_word) argv.push_back(std::move(current));
    return argv;
}

std::optional<std::string> find_program(const std::string& program) {
    if (program.find('/') != std::string::npos)
        return ::access(program.c_str(), X_OK) == 0 ? std::optional(program) : std::nullopt;
    if (const char* path = std::getenv("PATH")) {
        std::stringstream dirs(path);
        for (std::string dir; std::getline(dirs, dir, ':');) {
            auto candidate = std::filesystem::path(dir) / program;
            if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        }
    }
    return std::nullopt;
}

}  // namespace pgha
