#pragma once
// A grid of text rendered as an aligned table (psql style) or as CSV (RFC 4180).
#include <string>
#include <vector>

namespace pgha {

struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
};

std::string render_text(const Table& table);
std::string render_csv(const Table& table);

}  // namespace pgha
