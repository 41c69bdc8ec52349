#include "actions/connect.hpp"

#include <fmt/format.h>

#include <thread>

#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "pg/conninfo.hpp"

namespace pgha {

std::chrono::seconds connect_timeout(const std::string& conninfo) {
    if (auto value = pg::conninfo_value(conninfo, "connect_timeout")) {
        try {
            return std::chrono::seconds(std::max(1, std::stoi(*value)));
        } catch (const std::exception&) {
        }
    }
    return std::chrono::seconds(5);
}

pg::Connection connect_local(const Config& config) {
    try {
        return pg::Connection::open(config.conninfo);
    } catch (const pg::ConnectError& error) {
        throw pg::ConnectError(ExitCode::connect,
                               fmt::format("cannot connect to this node \"{}\" (ID {}) at {}", config.node_name,
                                           config.node_id, pg::conninfo_label(config.conninfo)),
                               error.detail(),
                               fmt::format("start PostgreSQL on this node, or check \"conninfo\" in {}",
                                           config.source_path));
    }
}

pg::Connection connect_local_waiting(const Config& config, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        try {
            return connect_local(config);
        } catch (const pg::ConnectError&) {
            if (std::chrono::steady_clock::now() >= deadline) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

pg::Connection connect_local_or_given(const Config& config, const GlobalOptions& options) {
    try {
        return connect_local(config);
    } catch (const pg::ConnectError&) {
        if (!options.host && !options.dbname) throw;
        auto conninfo = conninfo_from_options(options, "server");
        return pg::Connection::open(conninfo);
    }
}

bool in_recovery(const pg::Connection& connection) {
    return connection.exec("SELECT pg_is_in_recovery()").boolean(0, 0);
}

pg::Connection connect_primary(const pg::Connection& any_node) {
    catalog::require_schema(any_node);
    auto primary = catalog::find_active_primary(any_node);
    if (!primary)
        throw refused("no active primary is registered in the pgha metadata", {},
                      "register the primary first with \"pgha primary register\"");
    pg::Connection connection = [&] {
        try {
            return pg::Connection::open(primary->conninfo);
        } catch (const pg::ConnectError& error) {
            throw pg::ConnectError(ExitCode::connect,
                                   fmt::format("cannot connect to the primary \"{}\" (ID {}) at {}",
                                               primary->node_name, primary->node_id,
                                               pg::conninfo_label(primary->conninfo)),
                                   error.detail(), "start the primary, or promote a standby first");
        }
    }();
    if (in_recovery(connection))
        throw refused(fmt::format("the registered primary \"{}\" (ID {}) is in recovery, not writable",
                                  primary->node_name, primary->node_id),
                      {}, "check \"pgha cluster show\"; the metadata may be out of date after a manual promotion");
    return connection;
}

std::string conninfo_from_options(const GlobalOptions& options, const std::string& what) {
    pg::ConninfoParams params;
    std::string base;
    if (options.dbname) {
        if (options.dbname->find('=') != std::string::npos || options.dbname->starts_with("postgres"))
            base = *options.dbname;
        else
            params.emplace_back("dbname", *options.dbname);
    }
    if (options.host) params.emplace_back("host", *options.host);
    if (options.port) params.emplace_back("port", *options.port);
    if (options.user) params.emplace_back("user", *options.user);
    if (base.empty() && params.empty())
        throw usage_error(fmt::format("no {} given", what),
                          "give it with -h HOST -p PORT -U USER -d DBNAME, or -d 'host=... port=...'");
    return pg::conninfo_with(base, params);
}

}  // namespace pgha
