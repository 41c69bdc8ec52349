#include <catch2/catch.hpp>

#include "http/listen_address.hpp"
#include "http/message.hpp"

using namespace pgha;

TEST_CASE("request targets split into a decoded path and query", "[http]") {
    auto [path, query] = parse_target("/replica?lag=16MB");
    CHECK(path == "/replica");
    CHECK(query == std::map<std::string, std::string>{{"lag", "16MB"}});

    std::tie(path, query) = parse_target("/a%20b%2Fc?x=1%262&y=a+b&flag&&z=%zz&x=last#fragment");
    CHECK(path == "/a b/c");
    CHECK(query.at("x") == "last");  // the last value wins
    CHECK(query.at("y") == "a b");
    CHECK(query.at("flag").empty());
    CHECK(query.at("z") == "%zz");  // a malformed escape is kept as it is
    CHECK(query.size() == 4);

    std::tie(path, query) = parse_target("/health");
    CHECK(path == "/health");
    CHECK(query.empty());
    CHECK(parse_target("/100%").first == "/100%");
    CHECK(parse_target("/%4").first == "/%4");
}

TEST_CASE("build_target encodes what parse_target decodes", "[http]") {
    std::map<std::string, std::string> query{{"lag", "16 MB"}, {"a&b", "c=d"}};
    std::string target = build_target("/peer/vote x", query);
    CHECK(target == "/peer/vote%20x?a%26b=c%3Dd&lag=16%20MB");
    auto [path, parsed] = parse_target(target);
    CHECK(path == "/peer/vote x");
    CHECK(parsed == query);
    CHECK(build_target("", {}) == "/");
}

TEST_CASE("listen addresses are IPv4 host:port", "[http]") {
    auto address = parse_listen_address("127.0.0.1:8008");
    REQUIRE(address);
    CHECK(address->host == "127.0.0.1");
    CHECK(address->port == 8008);
    CHECK(parse_listen_address("127.0.0.1:0")->port == 0);
    for (auto text : {"", "127.0.0.1", "127.0.0.1:", ":8008", "localhost:8008", "127.0.0.1:65536",
                      "127.0.0.1:80x", "[::1]:8008", "127.0.0.1:-1"}) {
        INFO(text);
        CHECK_FALSE(parse_listen_address(text));
    }
}
