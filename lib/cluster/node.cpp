#include "cluster/node.hpp"

namespace pgha {

std::string slot_name_for(int node_id) { return "pgha_slot_" + std::to_string(node_id); }

std::string describe(const NodeRecord& node) { return "\"" + node.node_name + "\" (ID " + std::to_string(node.node_id) + ")"; }

}  // namespace pgha
