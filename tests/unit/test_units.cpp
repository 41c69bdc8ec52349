#include <catch2/catch.hpp>

#include "core/lsn.hpp"
#include "core/text.hpp"
#include "core/units.hpp"

using namespace pgha;

TEST_CASE("durations parse with their units") {
    struct Case { const char* text; long long ms; };
    for (auto c : {Case{"500ms", 500}, Case{"2s", 2000}, Case{"1m", 60000}, Case{"1min", 60000},
                   Case{"1h", 3600000}, Case{"0", 0}, Case{"10 s", 10000}, Case{"1d", 86400000}}) {
        INFO(c.text);
        auto value = parse_duration(c.text);
        REQUIRE(value);
        CHECK(value->count() == c.ms);
    }
}

TEST_CASE("durations without a known unit are rejected") {
    for (auto text : {"", "5", "5 parsecs", "s", "-1s", "1.5s", "2S", "ms10", "99999999999999999999s"}) {
        INFO(text);
        CHECK_FALSE(parse_duration(text));
    }
}

TEST_CASE("sizes use binary units like postgresql.conf") {
    CHECK(parse_size("16MB") == 16ULL << 20);
    CHECK(parse_size("512kB") == 512ULL << 10);
    CHECK(parse_size("1GB") == 1ULL << 30);
    CHECK(parse_size("100B") == 100);
    CHECK(parse_size("0") == 0);
    CHECK_FALSE(parse_size("16"));
    CHECK_FALSE(parse_size("16mb"));
    CHECK_FALSE(parse_size("lots"));
}

TEST_CASE("durations and sizes format back to their shortest form") {
    CHECK(format_duration(Millis(1500)) == "1500ms");
    CHECK(format_duration(Millis(2000)) == "2s");
    CHECK(format_duration(Millis(120000)) == "2m");
    CHECK(format_size(16ULL << 20) == "16MB");
    CHECK(format_size(1000) == "1000B");
}

TEST_CASE("LSNs round-trip through text") {
    CHECK(parse_lsn("0/3000148") == 0x3000148ULL);
    CHECK(parse_lsn("16/B374D848") == ((0x16ULL << 32) | 0xB374D848ULL));
    CHECK(format_lsn(0x3000148ULL) == "0/3000148");
    CHECK_FALSE(parse_lsn("3000148"));
    CHECK_FALSE(parse_lsn("0/"));
    CHECK_FALSE(parse_lsn("x/1"));
}

TEST_CASE("closest_match suggests likely typos only") {
    std::vector<std::string> keys{"node_name", "node_id", "conninfo", "failover.lease_timeout"};
    CHECK(closest_match("node_nmae", keys) == "node_name");
    CHECK(closest_match("failover.lease_timout", keys) == "failover.lease_timeout");
    CHECK_FALSE(closest_match("completely_different", keys));
}
