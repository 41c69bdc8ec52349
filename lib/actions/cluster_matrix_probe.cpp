// cluster matrix: filling the grid from live servers.
#include <fmt/format.h>

#include <algorithm>
#include <future>

#include "actions/cluster_matrix.hpp"
#include "actions/connect.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "pg/conninfo.hpp"
#include "probe/probe.hpp"

namespace pgha {
namespace {

struct PairResult {
    Reach reach = Reach::unknown;
    bool no_dblink = false;
    std::string error;
};

// Asks `source` to connect to `target` with dblink. The target's conninfo goes
// in as a parameter (it may hold a password: never printed) with a
// connect_timeout so a dead target cannot stall the source.
PairResult probe_pair(const NodeRecord& source, const NodeRecord& target, std::chrono::seconds timeout) {
    PairResult out;
    try {
        auto connection = pg::Connection::open(source.conninfo, {.default_timeout = timeout});
        if (!connection.exec("SELECT to_regprocedure('dblink(text,text)') IS NOT NULL").boolean(0, 0)) {
            out.no_dblink = true;
            return out;
        }
        auto target_conninfo = target.conninfo;
        if (!pg::conninfo_value(target_conninfo, "connect_timeout"))
            target_conninfo = pg::conninfo_with(target_conninfo, {{"connect_timeout", std::to_string(timeout.count())}});
        auto statement_timeout = std::to_string((timeout.count() * 2 + 1) * 1000);
        connection.exec("SELECT set_config('statement_timeout', $1, false)", pg::params(statement_timeout));
        connection.exec("SELECT x FROM dblink($1, 'SELECT 1') AS t(x int)", pg::params(target_conninfo));
        out.reach = Reach::reachable;
    } catch (const pg::QueryError& error) {
        // 08: connection exceptions; 57014: statement timeout (a target that hangs).
        if (error.sqlstate().starts_with("08") || error.sqlstate() == "57014") {
            out.reach = Reach::unreachable;
        } else {
            out.error = fmt::format("testing \"{}\" failed: {}", target.node_name, error.what());
        }
    } catch (const Error& error) {
        out.error = fmt::format("could not connect to ask it: {}", error.what());
    }
    return out;
}

MatrixRow this_host_row(const std::vector<NodeObservation>& observations) {
    MatrixRow row{std::nullopt, "this host"};
    for (const auto& seen : observations) row.cells.push_back(seen.reachable ? Reach::reachable : Reach::unreachable);
    return row;
}

}  // namespace

Matrix build_matrix(const Config& config, const GlobalOptions& options) {
    auto entry = connect_local_or_given(config, options);
    catalog::require_schema(entry);
    Matrix matrix;
    matrix.nodes = catalog::list_nodes(entry);
    std::erase_if(matrix.nodes, [](const NodeRecord& record) { return !record.active; });
    auto timeout = connect_timeout(config.conninfo);
    auto observations = observe_all(matrix.nodes, timeout);
    matrix.rows.push_back(this_host_row(observations));

    auto n = matrix.nodes.size();
    std::vector<std::vector<std::future<PairResult>>> pending(n);
    for (std::size_t s = 0; s < n; ++s) {
        if (!observations[s].reachable) continue;
        for (std::size_t t = 0; t < n; ++t)
            if (t != s)
                pending[s].push_back(std::async(std::launch::async, probe_pair, std::cref(matrix.nodes[s]),
                                                std::cref(matrix.nodes[t]), timeout));
    }
    for (std::size_t s = 0; s < n; ++s) {
        MatrixRow row{matrix.nodes[s].node_id, matrix.nodes[s].node_name, std::vector<Reach>(n, Reach::unknown)};
        if (!observations[s].reachable) {
            row.problem = RowProblem::source_unreachable;
            matrix.rows.push_back(std::move(row));
            continue;
        }
        row.cells[s] = Reach::reachable;
        std::size_t next = 0;
        for (std::size_t t = 0; t < n; ++t) {
            if (t == s) continue;
            auto result = pending[s][next++].get();
            row.cells[t] = result.reach;
            if (result.no_dblink) row.problem = RowProblem::no_dblink;
            if (!result.error.empty()) {
                if (row.problem == RowProblem::none) row.problem = RowProblem::failed;
                if (std::find(row.errors.begin(), row.errors.end(), result.error) == row.errors.end())
                    row.errors.push_back(result.error);
            }
        }
        if (row.problem == RowProblem::no_dblink) std::fill(row.cells.begin(), row.cells.end(), Reach::unknown);
        matrix.rows.push_back(std::move(row));
    }
    return matrix;
}

}  // namespace pgha
