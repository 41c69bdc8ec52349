# Turns sql/schema.sql into a C++ raw string so the binary carries its schema.
file(READ ${INPUT} SQL)
file(WRITE ${OUTPUT} "#pragma once\n#include <string_view>\nnamespace pgha::catalog {\ninline constexpr std::string_view schema_sql = R\"PGHASQL(${SQL})PGHASQL\";\n}\n")
