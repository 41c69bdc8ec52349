#include <catch2/catch.hpp>

#include "core/log.hpp"
#include "monitor/facts_summary.hpp"

using namespace pgha;
using std::chrono::milliseconds;
using std::chrono::system_clock;

namespace {
// 2026-12-02T13:45:01.123Z
system_clock::time_point sample_time() { return system_clock::time_point(milliseconds(1796219101123)); }
}  // namespace

TEST_CASE("log timestamps are ISO 8601 UTC with milliseconds") {
    CHECK(log::iso8601_utc(sample_time()) == "2026-12-02T13:45:01.123Z");
    CHECK(log::iso8601_utc(system_clock::time_point(milliseconds(5))) == "1970-01-01T00:00:00.005Z");
    CHECK(log::iso8601_utc(system_clock::time_point(milliseconds(-1))) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("a log line starts with the time, then the level, then the text") {
    CHECK(log::format_entry(log::Level::info, "no action: connected to the primary", sample_time()) ==
          "2026-12-02T13:45:01.123Z info: no action: connected to the primary\n");
    CHECK(log::format_entry(log::Level::warning, "reload refused", std::nullopt) == "warning: reload refused\n");
}

TEST_CASE("every line of a multi-line log entry is dated") {
    // libpq messages end in a newline and may hold a second, indented line.
    auto entry = log::format_entry(log::Level::debug, "connection failed: refused\n\tIs the server running?\n",
                                   sample_time());
    CHECK(entry ==
          "2026-12-02T13:45:01.123Z debug: connection failed: refused\n"
          "2026-12-02T13:45:01.123Z debug: \tIs the server running?\n");
    CHECK(log::format_entry(log::Level::error, "", std::nullopt) == "error: \n");
}

TEST_CASE("the per-round debug line says what the round saw") {
    TickFacts facts;
    facts.local.reachable = true;
    facts.local.in_recovery = true;
    facts.local.lsn = parse_lsn("0/3000148");
    facts.local.replay_lsn = parse_lsn("0/3000100");
    facts.local.streaming = true;
    facts.local.sender_host = "127.0.0.1";
    facts.local.sender_port = 5433;
    facts.metadata_read = true;
    facts.records.resize(3);
    facts.cluster.term = 2;
    facts.primary = NodeRecord{.node_id = 1, .node_name = "node1"};
    facts.primary_writable = true;
    facts.primary_lsn = parse_lsn("0/3000148");
    CHECK(describe_facts(facts) ==
          "my PostgreSQL: standby, received 0/3000148, replayed 0/3000100, streaming from 127.0.0.1:5433; "
          "metadata: 3 nodes, term 2, primary \"node1\" (ID 1) writable at 0/3000148");

    TickFacts down;
    down.local.error = "connection refused";
    CHECK(describe_facts(down) == "my PostgreSQL: does not answer: connection refused; metadata: not read");
}
