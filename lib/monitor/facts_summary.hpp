#pragma once
// One line saying what a monitoring round saw, before any decision: pghad
// logs it at debug level every round, so a debug log shows what each
// decision was based on.
#include <string>

#include "monitor/facts.hpp"

namespace pgha {

// E.g. "my PostgreSQL: standby, received 0/3000148, replayed 0/3000148, streaming
// from 127.0.0.1:5433; metadata: 3 nodes, term 2, primary "node1" (ID 1) writable at 0/3000148".
std::string describe_facts(const TickFacts& facts);

}  // namespace pgha
