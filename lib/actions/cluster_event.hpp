#pragma once
#include <vector>

#include "actions/options.hpp"
#include "catalog/events.hpp"
#include "config/config.hpp"

namespace pgha {

// Events newest first, read through this node (its replicated copy).
std::vector<Event> cluster_events(const Config& config, const GlobalOptions& options,
                                  const catalog::EventFilter& filter);

}  // namespace pgha
