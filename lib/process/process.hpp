#pragma once
// Runs a program from an argv vector, never through a shell, with an optional
// timeout after which its whole process group is terminated.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/units.hpp"

namespace pgha {

struct ProcessOptions {
    std::optional<Millis> timeout;  // nullopt: wait as long as it runs
    bool capture_output = true;     // false: the child shares our stdout/stderr
    std::size_t output_limit = 64 * 1024;
    // Set in the child only (e.g. LC_ALL=C for parseable output, PGPASSWORD so
    // that a password never appears in the argv that `ps` shows).
    std::vector<std::pair<std::string, std::string>> environment;
};

struct ProcessResult {
    bool started = false;    // false when the program could not be executed
    bool timed_out = false;  // killed after the timeout
    int exit_code = -1;      // -1 when killed by a signal
    int signal = 0;
    std::string output;      // stdout and stderr, interleaved, when captured
    std::string start_error; // why it could not start

    bool succeeded() const { return started && !timed_out && exit_code == 0; }
    std::string describe() const;  // "exited with code 3", "timed out after ..."
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace pgha
