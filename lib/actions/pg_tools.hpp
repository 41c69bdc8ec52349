#pragma once
#include <string>

#include "config/config.hpp"

namespace pgha {

// Path of a PostgreSQL program (pg_basebackup, pg_ctl, ...): pg_bindir when
// set, else the first match on PATH, else `pg_config --bindir`.
std::string pg_tool(const Config& config, const std::string& program);

}  // namespace pgha
