#pragma once
// Writing man(7) source: escaping and the few constructs the pages use.
#include <string>

#include "docgen.hpp"

namespace pgha::docgen::roff {

// Text for a roff input line: backslashes, hyphens (as \- so options can be
// copied), and a leading '.' or '\'' are escaped.
std::string escape(const std::string& text);

// Help text as written for a terminal ("\n"-wrapped lines; lines indented by
// two spaces or more are a preformatted block, as in `node check`'s list) as
// filled paragraphs and no-fill blocks.
std::string text_block(const std::string& text);

// .TP entries for options: "-f, --config-file VALUE", description, default.
std::string option_list(const std::vector<OptionDoc>& options);

// "\fBword\fR"
std::string bold(const std::string& text);
std::string italic(const std::string& text);

}  // namespace pgha::docgen::roff
