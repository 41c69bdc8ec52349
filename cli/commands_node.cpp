// pgha node ...
#include "command.hpp"

namespace pgha::cli {

std::vector<Command> node_commands() { return {}; }

}  // namespace pgha::cli
