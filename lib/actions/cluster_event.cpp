#include "actions/cluster_event.hpp"

#include "actions/connect.hpp"
#include "catalog/schema.hpp"

namespace pgha {

std::vector<Event> cluster_events(const Config& config, const GlobalOptions& options,
                                  const catalog::EventFilter& filter) {
    if (filter.limit <= 0) throw usage_error("--limit must be a positive number", "for example --limit 20");
    auto connection = connect_local_or_given(config, options);
    catalog::require_schema(connection);
    return catalog::list_events(connection, filter);
}

}  // namespace pgha
