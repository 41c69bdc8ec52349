// pgha witness ...
#include "command.hpp"

namespace pgha::cli {

std::vector<Command> witness_commands() { return {}; }

}  // namespace pgha::cli
