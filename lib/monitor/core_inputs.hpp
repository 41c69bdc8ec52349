#pragma once
// pghad's translation between its world (the config file, gather_facts,
// libpq observations) and the decision core's plain inputs.
#include "cluster/node.hpp"
#include "config/config.hpp"
#include "decision/inputs.hpp"
#include "monitor/facts.hpp"

namespace pgha {

decision::Settings core_settings(const Config& config);
decision::LocalRead core_local(const NodeObservation& observation);
decision::Facts core_facts(const TickFacts& facts);

}  // namespace pgha
