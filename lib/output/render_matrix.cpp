// Output of cluster matrix and cluster crosscheck.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "output/render.hpp"
#include "output/table.hpp"

namespace pgha {
namespace {

using json = nlohmann::ordered_json;

json id_or_null(const std::optional<int>& id) { return id ? json(*id) : json(nullptr); }

std::string notes_text(const Matrix& matrix) {
    std::string out;
    for (const auto& note : matrix_notes(matrix)) out += "NOTE: " + note + "\n";
    return out;
}

json matrix_json(const Matrix& matrix) {
    json rows = json::array();
    for (const auto& row : matrix.rows) {
        json cells = json::array();
        for (std::size_t i = 0; i < matrix.nodes.size(); ++i)
            cells.push_back({{"node_id", matrix.nodes[i].node_id},
                             {"node_name", matrix.nodes[i].node_name},
                             {"status", to_string(row.cells[i])}});
        rows.push_back({{"source_node_id", id_or_null(row.source_node_id)},
                        {"source", row.source_name},
                        {"targets", cells}});
    }
    return {{"rows", rows}, {"notes", matrix_notes(matrix)}};
}

}  // namespace

std::string render_matrix(const Matrix& matrix, OutputFormat format) {
    if (format == OutputFormat::json) return matrix_json(matrix).dump(2) + "\n";
    if (format == OutputFormat::csv) {
        Table table{{"source_node_id", "source", "target_node_id", "target", "status"}, {}};
        for (const auto& row : matrix.rows)
            for (std::size_t i = 0; i < matrix.nodes.size(); ++i)
                table.rows.push_back({row.source_node_id ? std::to_string(*row.source_node_id) : "",
                                      row.source_name, std::to_string(matrix.nodes[i].node_id),
                                      matrix.nodes[i].node_name, to_string(row.cells[i])});
        return render_csv(table);
    }
    Table table;
    table.header = {"Name", "ID"};
    for (const auto& node : matrix.nodes) table.header.push_back(std::to_string(node.node_id));
    for (const auto& row : matrix.rows) {
        std::vector<std::string> line{row.source_name, row.source_node_id ? std::to_string(*row.source_node_id) : ""};
        for (auto cell : row.cells) line.push_back(reach_symbol(cell));
        table.rows.push_back(std::move(line));
    }
    return render_text(table) + "\n* reachable, x unreachable, ? unknown (columns are node IDs)\n" + notes_text(matrix);
}

std::string render_crosscheck(const Matrix& matrix, OutputFormat format) {
    auto entries = crosscheck(matrix);
    if (format == OutputFormat::json) {
        json out = json::array();
        for (const auto& e : entries)
            out.push_back({{"node_id", e.node.node_id},
                           {"node_name", e.node.node_name},
                           {"seen_up", e.seen_up},
                           {"sources", e.answered},
                           {"verdict", to_string(e.verdict)}});
        return out.dump(2) + "\n";
    }
    bool machine = format == OutputFormat::csv;
    Table table;
    table.header = machine ? std::vector<std::string>{"node_id", "node_name", "seen_up", "sources", "verdict"}
                           : std::vector<std::string>{"ID", "Name", "Seen up", "Verdict"};
    for (const auto& e : entries) {
        if (machine)
            table.rows.push_back({std::to_string(e.node.node_id), e.node.node_name, std::to_string(e.seen_up),
                                  std::to_string(e.answered), to_string(e.verdict)});
        else
            table.rows.push_back({std::to_string(e.node.node_id), e.node.node_name,
                                  fmt::format("seen up by {} of {} sources", e.seen_up, e.answered),
                                  to_string(e.verdict)});
    }
    if (machine) return render_csv(table);
    return render_text(table) + "\n" + notes_text(matrix);
}

}  // namespace pgha
