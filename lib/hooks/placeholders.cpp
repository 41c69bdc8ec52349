#include "hooks/placeholders.hpp"

namespace pgha {

std::string expand_placeholders(const std::string& argument, const Event& event) {
    std::string out;
    for (std::size_t i = 0; i < argument.size(); ++i) {
        if (argument[i] != '%' || i + 1 == argument.size()) {
            out += argument[i];
            continue;
        }
        switch (argument[++i]) {
            case 'n': out += std::to_string(event.node_id); break;
            case 'a': out += event.node_name; break;
            case 'e': out += event.type; break;
            case 's': out += event.successful ? "1" : "0"; break;
            case 't': out += event.timestamp; break;
            case 'd': out += event.details; break;
            case 'p': out += event.peer_node_id ? std::to_string(*event.peer_node_id) : ""; break;
            case 'c': out += event.new_primary_conninfo; break;
            case '%': out += '%'; break;
            default:  // not a placeholder: keep it as written
                out += '%';
                out += argument[i];
        }
    }
    return out;
}

std::vector<std::string> expand_placeholders(const std::vector<std::string>& argv, const Event& event) {
    std::vector<std::string> out;
    out.reserve(argv.size());
    for (const auto& argument : argv) out.push_back(expand_placeholders(argument, event));
    return out;
}

}  // namespace pgha
