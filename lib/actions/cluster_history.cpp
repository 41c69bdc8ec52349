#include "actions/cluster_history.hpp"

#include "actions/connect.hpp"
#include "catalog/schema.hpp"

namespace pgha {

std::vector<catalog::TimelineSwitchRow> cluster_history(const Config& config, const GlobalOptions& options) {
    auto connection = connect_local_or_given(config, options);
    catalog::require_schema(connection);
    return catalog::list_timeline_history(connection);
}

}  // namespace pgha
