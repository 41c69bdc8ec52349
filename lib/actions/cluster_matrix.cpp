// The pure parts of cluster matrix / crosscheck.
#include "actions/cluster_matrix.hpp"

#include <fmt/format.h>

namespace pgha {

std::string reach_symbol(Reach reach) {
    switch (reach) {
        case Reach::reachable: return "*";
        case Reach::unreachable: return "x";
        case Reach::unknown: return "?";
    }
    return "?";
}

std::string to_string(Reach reach) {
    switch (reach) {
        case Reach::reachable: return "reachable";
        case Reach::unreachable: return "unreachable";
        case Reach::unknown: return "unknown";
    }
    return "unknown";
}

std::vector<CrosscheckEntry> crosscheck(const Matrix& matrix) {
    std::vector<CrosscheckEntry> entries;
    for (std::size_t column = 0; column < matrix.nodes.size(); ++column) {
        CrosscheckEntry entry{matrix.nodes[column]};
        for (const auto& row : matrix.rows) {
            if (row.source_node_id == matrix.nodes[column].node_id) continue;  // a node does not vouch for itself
            auto cell = row.cells.at(column);
            if (cell == Reach::unknown) continue;
            ++entry.answered;
            if (cell == Reach::reachable) ++entry.seen_up;
        }
        int seen_down = entry.answered - entry.seen_up;
        if (entry.seen_up * 2 > entry.answered) entry.verdict = Reach::reachable;
        else if (seen_down * 2 > entry.answered) entry.verdict = Reach::unreachable;
        entries.push_back(entry);
    }
    return entries;
}

std::vector<std::string> matrix_notes(const Matrix& matrix) {
    std::vector<std::string> notes;
    std::string no_dblink;
    for (const auto& row : matrix.rows) {
        switch (row.problem) {
            case RowProblem::none: break;
            case RowProblem::source_unreachable:
                notes.push_back(fmt::format("node \"{}\" could not be asked: this host cannot reach it", row.source_name));
                break;
            case RowProblem::no_dblink: no_dblink += (no_dblink.empty() ? "\"" : ", \"") + row.source_name + "\""; break;
            case RowProblem::failed: break;
        }
        for (const auto& error : row.errors) notes.push_back(fmt::format("from \"{}\": {}", row.source_name, error));
    }
    if (!no_dblink.empty())
        notes.push_back(fmt::format(
            "the dblink extension is not installed in the database of {}, so those rows are unknown; "
            "run CREATE EXTENSION dblink in the pgha database on the primary (it replicates to the standbys; "
            "a witness needs it in its own database)",
            no_dblink));
    return notes;
}

}  // namespace pgha
