#pragma once
#include <vector>

#include "actions/options.hpp"
#include "catalog/history.hpp"
#include "config/config.hpp"

namespace pgha {

// Timeline switches oldest first, read through this node (its replicated copy).
std::vector<catalog::TimelineSwitchRow> cluster_history(const Config& config, const GlobalOptions& options);

}  // namespace pgha
