#include "actions/cluster_history.hpp"

#include <fmt/format.h>

#include "actions/connect.hpp"
#include "catalog/schema.hpp"

namespace pgha {

std::vector<catalog::TimelineSwitchRow> cluster_history(const Config& config, const GlobalOptions& options) {
    auto connection = connect_local_or_given(config, options);
    catalog::require_schema(connection);
    if (catalog::schema_version(connection) < 2)
        throw refused(fmt::format("the pgha schema on {} is version {}, which keeps no timeline history",
                                  connection.label(), catalog::schema_version(connection)),
                      {}, "upgrade it: run \"pgha primary register\" again on the primary (the registration "
                          "stays as it is); promotions are recorded from then on");
    return catalog::list_timeline_history(connection);
}

}  // namespace pgha
