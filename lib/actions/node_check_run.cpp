// node check: gathering the values its pure decisions need.
#include <fmt/format.h>

#include "actions/connect.hpp"
#include "actions/node_check.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"

namespace pgha {
namespace {

std::vector<std::string> expected_downstream(const Config& config, const pg::Connection& local) {
    std::vector<std::string> names;
    if (catalog::schema_version(local) == 0) return names;
    for (const auto& node : catalog::downstream_nodes(local, config.node_id))
        if (node.type != "witness") names.push_back(node.node_name);
    return names;
}

std::vector<std::string> attached_names(const NodeStatus& status) {
    std::vector<std::string> names;
    for (const auto& standby : status.downstream) names.push_back(standby.application_name);
    return names;
}

}  // namespace

std::vector<CheckResult> run_node_checks(const Config& config, const NodeCheckOptions& options) {
    auto local = connect_local(config);
    auto status = gather_node_status(config, local);
    auto kinds = options.kinds.empty() ? all_check_kinds() : options.kinds;
    std::vector<CheckResult> results;
    for (auto kind : kinds) {
        switch (kind) {
            case CheckKind::role: results.push_back(decide_role(status.registered_type, status.role)); break;
            case CheckKind::replication_lag:
                results.push_back(decide_replication_lag(status.role, status.lag_bytes, status.lag_error, options.lag));
                break;
            case CheckKind::downstream:
                results.push_back(decide_downstream(expected_downstream(config, local), attached_names(status)));
                break;
            case CheckKind::slots: results.push_back(decide_slots(status.slots)); break;
            case CheckKind::archive_ready:
                results.push_back(decide_archive_ready(status.archive.ready_count, status.archive.ready_error,
                                                       options.archive_ready));
                break;
        }
    }
    return results;
}

}  // namespace pgha
