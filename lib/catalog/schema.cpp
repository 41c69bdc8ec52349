#include "catalog/schema.hpp"

#include <fmt/format.h>

#include "catalog/schema_sql.hpp"  // generated from sql/schema.sql

namespace pgha::catalog {

int schema_version(const pg::Connection& connection) {
    auto exists = connection.exec("SELECT to_regclass('pgha.schema_version') IS NOT NULL");
    if (!exists.boolean(0, 0)) return 0;
    auto version = connection.exec("SELECT max(version) FROM pgha.schema_version");
    return static_cast<int>(version.integer(0, 0).value_or(0));
}

void ensure_schema(const pg::Connection& connection) {
    // Serialize concurrent first registrations.
    connection.exec("SELECT pg_advisory_xact_lock(hashtext('pgha.schema'))");
    auto version = schema_version(connection);
    if (version < schema_version_expected) {  // none yet, or an older one: the script is idempotent
        connection.exec_command(std::string(schema_sql));
        return;
    }
    require_schema(connection);
}

void require_schema(const pg::Connection& connection) {
    auto version = schema_version(connection);
    if (version == 0)
        throw refused(fmt::format("the pgha metadata schema is not installed on {}", connection.label()),
                      {}, "register the primary first with \"pgha primary register\"");
    if (version > schema_version_expected)
        throw refused(fmt::format("the pgha schema on {} is version {}, newer than this pgha knows ({})",
                                  connection.label(), version, schema_version_expected),
                      {}, "upgrade pgha on this host");
}

}  // namespace pgha::catalog
