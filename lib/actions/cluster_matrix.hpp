#pragma once
// cluster matrix / crosscheck: who can reach whom. This host probes every
// node; every reachable node is asked (through the dblink extension, when
// installed in its database) to connect to every other node.
#include <optional>
#include <string>
#include <vector>

#include "actions/options.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"

namespace pgha {

enum class Reach { reachable, unreachable, unknown };

std::string reach_symbol(Reach reach);  // * x ?
std::string to_string(Reach reach);     // reachable | unreachable | unknown

// Why a row could not test its targets (unknown cells).
enum class RowProblem { none, source_unreachable, no_dblink, failed };

struct MatrixRow {
    std::optional<int> source_node_id;  // nullopt: this host
    std::string source_name;            // node name, or "this host"
    std::vector<Reach> cells;           // one per node, in Matrix::nodes order
    RowProblem problem = RowProblem::none;
    std::vector<std::string> errors;    // what failed, for the notes
};

struct Matrix {
    std::vector<NodeRecord> nodes;
    std::vector<MatrixRow> rows;  // rows[0] is this host, then one per node
};

struct CrosscheckEntry {
    NodeRecord node;
    int seen_up = 0;    // sources that reached it
    int answered = 0;   // sources that could answer (cell not unknown)
    Reach verdict = Reach::unknown;
};

// Pure: per node, the verdict by majority of the sources (other than the node
// itself) that could answer; a tie or no answer is unknown.
std::vector<CrosscheckEntry> crosscheck(const Matrix& matrix);

// Notes that explain unknown cells: which sources lack dblink (and how to
// enable it), which could not be reached or failed. Pure.
std::vector<std::string> matrix_notes(const Matrix& matrix);

// Reads the active nodes through this node (or -h/-d) and fills the grid, all
// probes in parallel, each bounded by the connect timeout.
Matrix build_matrix(const Config& config, const GlobalOptions& options);

}  // namespace pgha
