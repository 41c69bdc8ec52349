#pragma once
// The machine and human forms of command results (DESIGN.md section 3). Field
// names here are a contract: scripts depend on them.
#include <string>
#include <vector>

#include "actions/check.hpp"
#include "actions/cluster_show.hpp"
#include "actions/options.hpp"
#include "hooks/event.hpp"

namespace pgha {

std::string render_cluster(const std::vector<NodeView>& views, OutputFormat format);
std::string render_events(const std::vector<Event>& events, OutputFormat format);
std::string render_checks(const Checks& checks, OutputFormat format);

}  // namespace pgha
