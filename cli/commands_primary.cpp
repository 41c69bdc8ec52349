// pgha primary register | unregister
#include "actions/register.hpp"
#include "command.hpp"
#include "report.hpp"

namespace pgha::cli {

std::vector<Command> primary_commands() {
    return {
        {"primary", "register", "register this node as the primary and create the pgha metadata",
         "Connects to this node (conninfo in the configuration file), checks that it is not in recovery,\n"
         "creates the pgha schema when missing and records this node as the cluster's primary.\n"
         "--force replaces an existing registration of this node or marks another registered primary\n"
         "inactive. --dry-run checks everything and changes nothing.",
         nullptr, nullptr,
         [](Invocation& in, ActionReport& report) {
             auto outcome = register_primary(in.config(), in.globals());
             report.detail("type", std::string("primary"));
             report.say(outcome.message);
         }},
        {"primary", "unregister", "remove an inactive or stopped primary's registration",
         "Removes the record of this node (or --node-id) from the metadata. Refuses while that node still\n"
         "runs as the primary or other nodes use it as upstream, unless --force.",
         [](po::options_description& options) {
             options.add_options()("node-id", po::value<int>(), "the node to unregister (default: this node)");
         },
         nullptr,
         [](Invocation& in, ActionReport& report) {
             auto outcome = unregister_node(in.config(), in.globals(), "primary", in.get<int>("node-id"));
             report.node(node_ref(outcome.node));
             report.say(outcome.message);
         }},
    };
}

}  // namespace pgha::cli
