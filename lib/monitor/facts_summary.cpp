#include "monitor/facts_summary.hpp"

#include <fmt/format.h>

namespace pgha {
namespace {

std::string lsn_or_unknown(const std::optional<Lsn>& lsn) { return lsn ? format_lsn(*lsn) : "unknown"; }

std::string describe_local(const NodeObservation& local) {
    if (!local.reachable) return "does not answer: " + local.error;
    if (!local.in_recovery) return fmt::format("primary at {}", lsn_or_unknown(local.lsn));
    std::string upstream = "not streaming";
    if (local.streaming)
        upstream = fmt::format("streaming from {}:{}", local.sender_host.value_or("?"),
                               local.sender_port ? std::to_string(*local.sender_port) : "?");
    return fmt::format("standby, received {}, replayed {}, {}", lsn_or_unknown(local.lsn),
                       lsn_or_unknown(local.replay_lsn), upstream);
}

std::string describe_metadata(const TickFacts& facts) {
    if (!facts.metadata_read) return "not read";
    auto text = fmt::format("{} nodes, term {}", facts.records.size(), facts.cluster.term);
    if (!facts.primary) return text + ", no active primary";
    text += fmt::format(", primary {} {}", describe(*facts.primary),
                        facts.primary_writable ? "writable" : "not writable");
    if (facts.primary_lsn) text += " at " + format_lsn(*facts.primary_lsn);
    return text;
}

}  // namespace

std::string describe_facts(const TickFacts& facts) {
    return fmt::format("my PostgreSQL: {}; metadata: {}", describe_local(facts.local), describe_metadata(facts));
}

}  // namespace pgha
