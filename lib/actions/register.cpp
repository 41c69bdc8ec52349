#include "actions/register.hpp"

#include <fmt/format.h>

#include <thread>

#include "actions/connect.hpp"
#include "actions/emit_event.hpp"
#include "actions/identity.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "pg/conninfo.hpp"
#include "probe/probe.hpp"

namespace pgha {
namespace {


}  // namespace

NodeRecord record_from_config(const Config& config, const std::string& type, std::optional<int> upstream) {
    NodeRecord node;
    node.node_id = config.node_id;
    node.node_name = config.node_name;
    node.type = type;
    node.upstream_node_id = upstream;
    node.location = config.location;
    node.priority = config.priority;
    node.conninfo = config.conninfo;
    node.repluser = !config.replication_user.empty()
                        ? config.replication_user
                        : pg::conninfo_value(config.conninfo, "user").value_or("postgres");
    if (config.use_replication_slots && type == "standby") node.slot_name = slot_name_for(config.node_id);
    node.data_directory = config.data_directory;
    node.daemon_listen = config.daemon.listen;
    return node;
}

RegisterOutcome register_primary(const Config& config, const GlobalOptions& options) {
    auto local = connect_local(config);
    if (in_recovery(local))
        throw refused(fmt::format("this node \"{}\" is a standby (its server is in recovery), not a primary",
                                  config.node_name),
                      {}, "register a standby with \"pgha standby register\"");
    local.begin();
    catalog::ensure_schema(local);
    check_identity(local, config, options.force);
    if (auto other = catalog::find_active_primary(local); other && other->node_id != config.node_id) {
        if (!options.force)
            throw refused(fmt::format("another primary {} is already registered", describe(*other)), {},
                          "unregister it first, or use --force to mark it inactive");
        catalog::deactivate_node(local, other->node_id);
    }
    auto record = record_from_config(config, "primary", std::nullopt);
    catalog::upsert_node(local, record);
    catalog::set_primary(local, config.node_id);
    if (options.dry_run) {
        local.exec("ROLLBACK");
        return {fmt::format("dry run: node \"{}\" (ID {}) can be registered as primary; nothing was changed",
                            config.node_name, config.node_id),
                record, std::nullopt};
    }
    local.commit();
    auto message = fmt::format("primary node \"{}\" (ID {}) registered", config.node_name, config.node_id);
    emit_event(config, &local, make_event(config, "primary_register", true, message));
    return {message, record, std::nullopt};
}

RegisterOutcome register_standby(const Config& config, const GlobalOptions& options,
                                 const StandbyRegisterOptions& standby) {
    auto local = connect_local_waiting(config, std::chrono::seconds(standby.wait_start_seconds));
    if (!in_recovery(local))
        throw refused(fmt::format("this node \"{}\" is not a standby: its server is not in recovery",
                                  config.node_name),
                      {}, "register a primary with \"pgha primary register\"");
    auto primary = connect_primary(local);
    auto primary_record = catalog::find_active_primary(primary);
    if (!primary_record)
        throw refused("the primary's metadata lists no active primary", {}, "run \"pgha primary register\" on the primary");
    int upstream_id = standby.upstream_node_id.value_or(primary_record->node_id);
    auto upstream = catalog::find_node(primary, upstream_id);
    if (!upstream || !upstream->active)
        throw refused(fmt::format("upstream node ID {} is not registered (or not active)", upstream_id), {},
                      "register the upstream node first, or give a registered node with --upstream-node-id");
    primary.begin();
    check_identity(primary, config, options.force);
    if (upstream_id == config.node_id)
        throw refused("a standby cannot be its own upstream", {}, "give another node with --upstream-node-id");
    auto record = record_from_config(config, "standby", upstream_id);
    catalog::upsert_node(primary, record);
    if (options.dry_run) {
        primary.exec("ROLLBACK");
        return {fmt::format("dry run: node \"{}\" (ID {}) can be registered as standby of {}; nothing was changed",
                            config.node_name, config.node_id, describe(*upstream)),
                record, upstream};
    }
    primary.commit();
    auto message = fmt::format("standby node \"{}\" (ID {}) registered with upstream {}", config.node_name,
                               config.node_id, describe(*upstream));
    auto event = make_event(config, "standby_register", true, message);
    event.peer_node_id = upstream_id;
    emit_event(config, &primary, std::move(event));
    return {message, record, upstream};
}

RegisterOutcome unregister_node(const Config& config, const GlobalOptions& options, const std::string& type,
                                std::optional<int> node_id) {
    int target_id = node_id.value_or(config.node_id);
    // The metadata lives on the primary; reach it through this node or -d/-h.
    auto entry = connect_local_or_given(config, options);
    auto writable = in_recovery(entry) ? connect_primary(entry) : std::move(entry);
    catalog::require_schema(writable);
    auto target = catalog::find_node(writable, target_id);
    if (!target)
        throw refused(fmt::format("node ID {} is not registered", target_id), {},
                      "list the registered nodes with \"pgha cluster show\"");
    if (target->type != type)
        throw refused(fmt::format("node {} is registered as {}, not as {}", describe(*target), target->type, type),
                      {}, fmt::format("use \"pgha {} unregister\"", target->type));
    auto downstream = catalog::downstream_nodes(writable, target_id);
    if (!downstream.empty() && !options.force)
        throw refused(fmt::format("node {} is the upstream of {} registered node(s), first {}", describe(*target),
                                  downstream.size(), describe(downstream.front())),
                      {}, "re-point or unregister those nodes first, or use --force");
    if (type == "primary" && target->active && !options.force) {
        auto seen = observe(target->conninfo, connect_timeout(target->conninfo));
        if (seen.reachable && !seen.in_recovery)
            throw refused(fmt::format("node {} is still running as the primary", describe(*target)), {},
                          "only an inactive or stopped primary can be unregistered; use --force to do it anyway");
    }
    if (options.dry_run)
        return {fmt::format("dry run: node {} can be unregistered; nothing was changed", describe(*target)), *target,
                std::nullopt};
    catalog::delete_node(writable, target_id);
    auto message = fmt::format("{} node {} unregistered", type, describe(*target));
    auto event = make_event(config, type + "_unregister", true, message);
    event.peer_node_id = target_id;
    emit_event(config, &writable, std::move(event));
    return {message, *target, std::nullopt};
}

}  // namespace pgha
