#include "actions/witness.hpp"

#include <fmt/format.h>

#include "actions/connect.hpp"
#include "actions/emit_event.hpp"
#include "actions/identity.hpp"
#include "actions/register.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "catalog/witness_copy.hpp"
#include "pg/conninfo.hpp"

namespace pgha {
namespace {


std::string system_identifier(const pg::Connection& connection) {
    return connection.exec("SELECT system_identifier::text FROM pg_catalog.pg_control_system()").value(0, 0);
}

pg::Connection connect_given_primary(const GlobalOptions& options) {
    auto conninfo = conninfo_from_options(options, "primary");
    pg::Connection primary = [&] {
        try {
            return pg::Connection::open(conninfo);
        } catch (const pg::ConnectError& error) {
            throw pg::ConnectError(ExitCode::connect,
                                   fmt::format("cannot connect to the primary given at {}", pg::conninfo_label(conninfo)),
                                   error.detail(), "check -h/-p/-U/-d; they must name the cluster's primary");
        }
    }();
    if (in_recovery(primary))
        throw refused(fmt::format("the server at {} is a standby (in recovery), not the primary",
                                  pg::conninfo_label(conninfo)),
                      {}, "give the primary with -h/-p/-U/-d");
    return primary;
}

// The witness server must stand apart: writable, and not a member of the
// replicated cluster (a different system identifier).
void check_witness_server(const Config& config, const pg::Connection& witness, const pg::Connection& primary) {
    if (in_recovery(witness))
        throw refused(fmt::format("this node \"{}\" is in recovery; a witness must be a separate, writable server",
                                  config.node_name),
                      {}, "point conninfo in " + config.source_path + " at a server outside replication");
    if (system_identifier(witness) == system_identifier(primary))
        throw refused(fmt::format("this node \"{}\" has the primary's system identifier: it belongs to the "
                                  "replication cluster, so it cannot be a witness",
                                  config.node_name),
                      {}, "a witness needs its own PostgreSQL server (initdb), outside replication");
    if (catalog::schema_version(witness) > catalog::schema_version_expected) catalog::require_schema(witness);
}

}  // namespace

RegisterOutcome register_witness(const Config& config, const GlobalOptions& options) {
    auto witness = connect_local(config);
    auto primary = connect_given_primary(options);
    catalog::require_schema(primary);
    check_witness_server(config, witness, primary);
    auto registered_primary = catalog::find_active_primary(primary);
    if (!registered_primary)
        throw refused("the primary's metadata lists no active primary", {},
                      "run \"pgha primary register\" on the primary first");
    primary.begin();
    check_identity(primary, config, options.force);
    auto record = record_from_config(config, "witness", std::nullopt);
    if (options.dry_run) {
        primary.exec("ROLLBACK");
        return {fmt::format("dry run: node \"{}\" (ID {}) can be registered as witness of primary {}; "
                            "nothing was changed",
                            config.node_name, config.node_id, describe(*registered_primary)),
                record, registered_primary};
    }
    witness.begin();
    catalog::ensure_schema(witness);
    witness.commit();
    catalog::upsert_node(primary, record);
    primary.commit();
    try {
        catalog::refresh_witness_copy(primary, witness, catalog::NewerTerm::replace);
    } catch (const Error& error) {
        throw Error(ExitCode::partial,
                    fmt::format("witness \"{}\" (ID {}) is registered on the primary, but copying the metadata to "
                                "it failed",
                                config.node_name, config.node_id),
                    error.what(), "run \"pgha witness register --force\" again");
    }
    auto message = fmt::format("witness node \"{}\" (ID {}) registered with primary {}", config.node_name,
                               config.node_id, describe(*registered_primary));
    auto event = make_event(config, "witness_register", true, message);
    event.peer_node_id = registered_primary->node_id;
    emit_event(config, &primary, std::move(event));
    return {message, record, registered_primary};
}

RegisterOutcome unregister_witness(const Config& config, const GlobalOptions& options, std::optional<int> node_id) {
    int target_id = node_id.value_or(config.node_id);
    std::optional<pg::Connection> witness;
    pg::Connection primary = [&] {
        if (options.host || options.dbname) {
            auto given = pg::Connection::open(conninfo_from_options(options, "primary"),
                                              {.default_timeout = connect_timeout(config.conninfo)});
            return in_recovery(given) ? connect_primary(given) : std::move(given);
        }
        witness = connect_local(config);  // its metadata copy names the primary
        return connect_primary(*witness);
    }();
    catalog::require_schema(primary);
    auto target = catalog::find_node(primary, target_id);
    if (!target)
        throw refused(fmt::format("node ID {} is not registered", target_id), {},
                      "list the registered nodes with \"pgha cluster show\"");
    if (target->type != "witness")
        throw refused(fmt::format("node {} is registered as {}, not as witness", describe(*target), target->type), {},
                      fmt::format("use \"pgha {} unregister\"", target->type));
    if (options.dry_run)
        return {fmt::format("dry run: witness {} can be unregistered; nothing was changed", describe(*target)), *target,
                std::nullopt};
    catalog::delete_node(primary, target_id);
    if (target_id == config.node_id) {
        try {
            if (!witness) witness = connect_local(config);
            catalog::refresh_witness_copy(primary, *witness, catalog::NewerTerm::replace);
        } catch (const Error&) {
            // The copy is only a convenience once the witness is gone from the cluster.
        }
    }
    auto message = fmt::format("witness node {} unregistered", describe(*target));
    auto event = make_event(config, "witness_unregister", true, message);
    event.peer_node_id = target_id;
    emit_event(config, &primary, std::move(event));
    return {message, *target, std::nullopt};
}

}  // namespace pgha
