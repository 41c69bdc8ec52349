#include "cluster/node.hpp"

namespace pgha {

std::string slot_name_for(int node_id) { return "pgha_slot_" + std::to_string(node_id); }

}  // namespace pgha
