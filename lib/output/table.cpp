#include "output/table.hpp"

#include <algorithm>

namespace pgha {
namespace {

// Display width in characters, counting UTF-8 continuation bytes as nothing.
std::size_t width(const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(),
                                                  [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string csv_field(const std::string& value) {
    if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace

std::string render_text(const Table& table) {
    std::vector<std::size_t> widths;
    for (const auto& cell : table.header) widths.push_back(width(cell));
    for (const auto& row : table.rows)
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));

    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t i = 0; i < widths.size(); ++i) {
            const std::string cell = i < cells.size() ? cells[i] : "";
            out += (i == 0 ? " " : " | ");
            out += cell;
            if (i + 1 < widths.size()) out += std::string(widths[i] - width(cell), ' ');
        }
        return out + "\n";
    };
    std::string out = line(table.header);
    for (std::size_t i = 0; i < widths.size(); ++i) out += (i == 0 ? "-" : "-+-") + std::string(widths[i], '-');
    out += "-\n";
    for (const auto& row : table.rows) out += line(row);
    return out;
}

std::string render_csv(const Table& table) {
    auto line = [](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (i) out += ',';
            out += csv_field(cells[i]);
        }
        return out + "\n";
    };
    std::string out = line(table.header);
    for (const auto& row : table.rows) out += line(row);
    return out;
}

}  // namespace pgha
