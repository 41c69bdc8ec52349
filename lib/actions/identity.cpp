#include "actions/identity.hpp"

#include <fmt/format.h>

#include "catalog/nodes.hpp"

namespace pgha {
namespace {


}  // namespace

void check_identity(const pg::Connection& primary, const Config& config, bool force) {
    if (auto by_name = catalog::find_node_by_name(primary, config.node_name); by_name && by_name->node_id != config.node_id)
        throw refused(fmt::format("node_name \"{}\" is already registered for node ID {}", config.node_name,
                                  by_name->node_id),
                      {}, fmt::format("choose another node_name in {}", config.source_path));
    if (auto by_id = catalog::find_node(primary, config.node_id); by_id && !force) {
        if (by_id->node_name != config.node_name)
            throw refused(fmt::format("node_id {} is already registered for node \"{}\"", config.node_id,
                                      by_id->node_name),
                          {}, fmt::format("choose another node_id in {}, or unregister node {} first",
                                          config.source_path, config.node_id));
        throw refused(fmt::format("node {} is already registered as {}", describe(*by_id), by_id->type), {},
                      "use --force to overwrite the existing registration");
    }
}

}  // namespace pgha
