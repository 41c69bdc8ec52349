#pragma once
#include "pg/connection.hpp"

namespace pgha::catalog {

inline constexpr int schema_version_expected = 2;

// 0 when the pgha schema is not installed in this database.
int schema_version(const pg::Connection& connection);

// Creates the schema (sql/schema.sql) when missing; refuses a database whose
// schema version this pgha does not know. Call inside a transaction.
void ensure_schema(const pg::Connection& connection);

// Throws a refusal naming the node when the schema is missing or too new.
void require_schema(const pg::Connection& connection);

}  // namespace pgha::catalog
