#include "roff.hpp"

#include <sstream>
#include <vector>

namespace pgha::docgen::roff {

std::string escape(const std::string& text) {
    std::string out;
    bool line_start = true;  // a '.' or '\'' there would be read as a request
    for (char c : text) {
        if (line_start && (c == '.' || c == '\'')) out += "\\&";
        if (c == '\\') out += "\\e";
        else if (c == '-') out += "\\-";
        else out += c;
        line_start = c == '\n';
    }
    return out;
}

std::string bold(const std::string& text) { return "\\fB" + escape(text) + "\\fR"; }
std::string italic(const std::string& text) { return "\\fI" + escape(text) + "\\fR"; }

std::string text_block(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::string out;
    bool in_block = false;  // inside .nf
    bool in_paragraph = false;
    for (const auto& line : lines) {
        bool preformatted = line.starts_with("  ");
        if (line.find_first_not_of(' ') == std::string::npos) {
            if (in_block) out += ".fi\n.RE\n";
            in_block = in_paragraph = false;
            continue;
        }
        if (preformatted && !in_block) {
            out += ".RS 2\n.nf\n";
            in_block = true;
            in_paragraph = false;
        } else if (!preformatted && in_block) {
            out += ".fi\n.RE\n";
            in_block = false;
        }
        if (!preformatted && !in_paragraph) {
            out += ".PP\n";
            in_paragraph = true;
        }
        out += escape(preformatted ? line.substr(2) : line) + "\n";
    }
    if (in_block) out += ".fi\n.RE\n";
    return out;
}

std::string option_list(const std::vector<OptionDoc>& options) {
    std::string out;
    for (const auto& option : options) {
        out += ".TP\n";
        if (!option.short_name.empty()) out += bold("-" + option.short_name) + ", ";
        out += bold("--" + option.long_name);
        if (option.takes_value) out += " " + italic("VALUE");
        out += "\n" + escape(option.description);
        if (!option.default_value.empty()) out += " (default: " + escape(option.default_value) + ")";
        out += "\n";
    }
    return out;
}

}  // namespace pgha::docgen::roff
