#include "core/error_print.hpp"

#include <cstdio>

namespace pgha {

std::string format_error(const Error& error) {
    std::string text = "ERROR: " + std::string(error.what()) + "\n";
    if (!error.detail().empty()) text += "DETAIL: " + error.detail() + "\n";
    if (!error.hint().empty()) text += "HINT: " + error.hint() + "\n";
    return text;
}

void print_error(const Error& error) {
    auto text = format_error(error);
    std::fflush(stdout);
    std::fputs(text.c_str(), stderr);
}

}  // namespace pgha
