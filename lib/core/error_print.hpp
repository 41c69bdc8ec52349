#pragma once
// The one way pgha and pghad show an Error to a person: an "ERROR:" line,
// then "DETAIL:" and "HINT:" lines when they are set (DESIGN.md section 3).
#include <string>

#include "core/error.hpp"

namespace pgha {

// "ERROR: message\nDETAIL: detail\nHINT: hint\n", without the lines not set.
std::string format_error(const Error& error);

// format_error on stderr, after flushing stdout so that what a command
// printed before it failed comes first.
void print_error(const Error& error);

}  // namespace pgha
