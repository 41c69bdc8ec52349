#include "docgen.hpp"

namespace pgha::docgen {

std::vector<OptionDoc> option_docs(const po::options_description& options) {
    std::vector<OptionDoc> out;
    for (const auto& option : options.options()) {
        OptionDoc doc;
        doc.long_name = option->long_name();
        auto short_name = option->canonical_display_name(po::command_line_style::allow_dash_for_short);
        if (short_name.size() == 2 && short_name[0] == '-') doc.short_name = short_name.substr(1);
        doc.takes_value = option->semantic()->max_tokens() > 0;
        // program_options names a value "arg (=20)" when it has a default.
        auto name = option->semantic()->name();
        if (auto start = name.find("(="); start != std::string::npos && name.back() == ')')
            doc.default_value = name.substr(start + 2, name.size() - start - 3);
        doc.description = option->description();
        out.push_back(std::move(doc));
    }
    return out;
}

}  // namespace pgha::docgen
