// pgha cluster show | event
#include "actions/cluster_event.hpp"
#include "actions/cluster_show.hpp"
#include "command.hpp"
#include "output/render.hpp"

namespace pgha::cli {

std::vector<Command> cluster_commands() {
    return {
        {"cluster", "show", "show every registered node with its live state",
         "Reads the registered nodes (through this node, or -h/-d when it is down) and connects to all of\n"
         "them in parallel, so one connect timeout bounds the time however many nodes are down.\n"
         "Status is running, unreachable, or mismatch (live role differs from the registered one).\n"
         "--csv and --json give stable machine-readable fields; passwords are never shown. Exit code 0\n"
         "even when nodes are unreachable (the output says so).",
         nullptr,
         [](Invocation& in) {
             print(render_cluster(show_cluster(in.config(), in.globals()), in.globals().format));
             return 0;
         }},
        {"cluster", "event", "show recorded events, newest first",
         "Lists pgha.events. Filter with --event TYPE and --node-id N; --limit N (default 20).",
         [](po::options_description& options) {
             options.add_options()("limit", po::value<int>()->default_value(20), "at most this many events")(
                 "event", po::value<std::string>(), "only events of this type, e.g. standby_register")(
                 "node-id", po::value<int>(), "only events of this node");
         },
         [](Invocation& in) {
             catalog::EventFilter filter;
             filter.limit = in.get<int>("limit").value_or(20);
             filter.event_type = in.get<std::string>("event");
             filter.node_id = in.get<int>("node-id");
             print(render_events(cluster_events(in.config(), in.globals(), filter), in.globals().format));
             return 0;
         }},
    };
}

}  // namespace pgha::cli
