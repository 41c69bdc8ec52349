#pragma once
// Errors that reach the user: a message, an optional detail and hint, and the
// exit code class of DESIGN.md section 3. Library code throws these; only the
// CLI's main maps them to a process exit code.
#include <stdexcept>
#include <string>

namespace pgha {

enum class ExitCode : int {
    ok = 0,
    usage = 1,      // usage or configuration error
    connect = 2,    // could not connect where a connection was required
    refused = 3,    // a precondition failed; nothing was changed
    partial = 4,    // the action started and failed part way
};

class Error : public std::runtime_error {
public:
    Error(ExitCode code, std::string message, std::string detail = {}, std::string hint = {})
        : std::runtime_error(std::move(message)), code_(code), detail_(std::move(detail)),
          hint_(std::move(hint)) {}

    ExitCode code() const { return code_; }
    const std::string& detail() const { return detail_; }
    const std::string& hint() const { return hint_; }

private:
    ExitCode code_;
    std::string detail_;
    std::string hint_;
};

inline Error usage_error(std::string message, std::string hint = {}) {
    return Error(ExitCode::usage, std::move(message), {}, std::move(hint));
}
inline Error refused(std::string message, std::string detail = {}, std::string hint = {}) {
    return Error(ExitCode::refused, std::move(message), std::move(detail), std::move(hint));
}

}  // namespace pgha
