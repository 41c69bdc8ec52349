// pgha witness register | unregister
#include "actions/witness.hpp"
#include "command.hpp"
#include "report.hpp"

namespace pgha::cli {

std::vector<Command> witness_commands() {
    return {
        {"witness", "register", "register this node's separate server as a witness",
         "A witness is a PostgreSQL server outside replication (its own initdb), at this node's\n"
         "conninfo; it holds a copy of the metadata and gives the cluster an extra vote.\n"
         "Give the primary with -h HOST -p PORT -U USER -d DBNAME (or -d CONNINFO). Refuses when the\n"
         "witness server is in recovery, when the given server is not a writable primary, when the\n"
         "witness has the primary's system identifier (it belongs to the replicated cluster), and when\n"
         "the node_id or node_name is taken (--force overwrites this node's own registration).\n"
         "Then installs the pgha schema on the witness, records the witness on the primary and copies\n"
         "the primary's pgha.nodes and pgha.cluster_state to the witness in one transaction.\n"
         "--dry-run runs the checks and changes nothing.",
         nullptr, nullptr,
         [](Invocation& in, ActionReport& report) {
             auto outcome = register_witness(in.config(), in.globals());
             report.detail("primary", detail_node(outcome.upstream));
             report.say(outcome.message);
         }},
        {"witness", "unregister", "remove a witness's registration",
         "Removes the witness record of this node (or --node-id) on the primary, which is found through\n"
         "-h/-d when given, else through the witness's own copy of the metadata. --dry-run checks only.",
         [](po::options_description& options) {
             options.add_options()("node-id", po::value<int>(), "the witness to unregister (default: this node)");
         },
         nullptr,
         [](Invocation& in, ActionReport& report) {
             auto outcome = unregister_witness(in.config(), in.globals(), in.get<int>("node-id"));
             report.node(node_ref(outcome.node));
             report.say(outcome.message);
         }},
    };
}

}  // namespace pgha::cli
