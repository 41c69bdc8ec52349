#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include <unistd.h>

#include "http/auth.hpp"

using namespace pgha;
using namespace std::chrono_literals;

namespace {

const std::string secret = "correct horse battery staple";
const auto now = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'000));

HttpRequest vote_request(std::chrono::system_clock::time_point signed_at = now) {
    return signed_request("POST", "/peer/vote", R"({"term":7,"candidate":2})", secret, signed_at);
}

}  // namespace

TEST_CASE("signatures are HMAC-SHA256 of method, path, timestamp and body", "[http]") {
    // Expected value from: printf 'POST\n/peer/vote\n1700000000000\n{"term":7}' |
    //   openssl dgst -sha256 -hmac 'correct horse battery staple'
    CHECK(sign(secret, "POST", "/peer/vote", 1'700'000'000'000, R"({"term":7})") ==
          "9aaaa0cd321417ce0a7523cae8fc2f492a42a8127b8f617b4a4a98caecc8b1d2");
    CHECK(sign(secret, "POST", "/peer/vote", 1, "x") == sign(secret, "POST", "/peer/vote", 1, "x"));
    CHECK(sign(secret, "POST", "/peer/vote", 1, "x") != sign(secret, "POST", "/peer/vote", 2, "x"));
    CHECK(sign(secret, "POST", "/peer/vote", 1, "x") != sign("other", "POST", "/peer/vote", 1, "x"));
}

TEST_CASE("a correctly signed request verifies", "[http]") {
    auto request = vote_request();
    CHECK(request.headers.at(timestamp_header) == "1700000000000");
    auto result = verify(request, secret, now);
    CHECK(result.ok());
    CHECK(result.reason.empty());
    CHECK(verify(request, secret, now + 29s).ok());
    CHECK(verify(request, secret, now - 29s).ok());  // the sender's clock may run ahead

    // Upper-case hex is the same signature.
    for (auto& c : request.headers[signature_header]) c = static_cast<char>(std::toupper(c));
    CHECK(verify(request, secret, now).ok());
}

TEST_CASE("tampered requests fail with a bad signature", "[http]") {
    struct Case { const char* what; void (*tamper)(HttpRequest&); };
    for (auto c : {Case{"body", [](HttpRequest& r) { r.body = R"({"term":8,"candidate":2})"; }},
                   Case{"path", [](HttpRequest& r) { r.path = "/peer/demote"; }},
                   Case{"method", [](HttpRequest& r) { r.method = "PUT"; }},
                   Case{"timestamp", [](HttpRequest& r) { r.headers[timestamp_header] = "1700000000001"; }},
                   Case{"signature", [](HttpRequest& r) { r.headers[signature_header][0] ^= 1; }},
                   Case{"short signature", [](HttpRequest& r) { r.headers[signature_header].pop_back(); }}}) {
        INFO(c.what);
        auto request = vote_request();
        c.tamper(request);
        auto result = verify(request, secret, now);
        CHECK(result.failure == AuthFailure::bad_signature);
        CHECK_THAT(result.reason, Catch::Contains("X-Pgha-Signature"));
    }
    CHECK(verify(vote_request(), "another secret", now).failure == AuthFailure::bad_signature);
}

TEST_CASE("stale or future timestamps are refused", "[http]") {
    auto request = vote_request();
    CHECK(verify(request, secret, now + 31s).failure == AuthFailure::stale_timestamp);
    CHECK(verify(request, secret, now - 31s).failure == AuthFailure::stale_timestamp);
    CHECK(verify(request, secret, now + 2s, 1s).failure == AuthFailure::stale_timestamp);
    CHECK_THAT(verify(request, secret, now + 31s).reason, Catch::Contains("clock"));

    request.headers[timestamp_header] = "-9223372036854775808";
    CHECK(verify(request, secret, now).failure == AuthFailure::stale_timestamp);
    for (auto bad : {"", "soon", "12ms", "99999999999999999999999"}) {
        INFO(bad);
        request.headers[timestamp_header] = bad;
        CHECK(verify(request, secret, now).failure == AuthFailure::bad_timestamp);
    }
}

TEST_CASE("missing headers and a missing secret are refused", "[http]") {
    auto request = vote_request();
    request.headers.erase(signature_header);
    CHECK(verify(request, secret, now).failure == AuthFailure::missing_header);
    CHECK_THAT(verify(request, secret, now).reason, Catch::Contains("X-Pgha-Signature"));

    request = vote_request();
    request.headers.erase(timestamp_header);
    CHECK(verify(request, secret, now).failure == AuthFailure::missing_header);
    CHECK_THAT(verify(request, secret, now).reason, Catch::Contains("X-Pgha-Timestamp"));

    // Even a request signed with the empty key is refused when no secret is set.
    auto empty_signed = signed_request("POST", "/peer/vote", "{}", "", now);
    auto result = verify(empty_signed, "", now);
    CHECK(result.failure == AuthFailure::no_secret);
    CHECK_THAT(result.reason, Catch::Contains("secret_file"));
}

TEST_CASE("the secret file is read trimmed; errors name the file", "[http]") {
    std::string path = "/tmp/pgha-test-secret-" + std::to_string(::getpid());
    std::ofstream(path) << "  s3cret value \n\n";
    std::string error;
    CHECK(load_secret(path, error) == "s3cret value");

    std::ofstream(path) << " \n";
    CHECK_FALSE(load_secret(path, error));
    CHECK_THAT(error, Catch::Contains(path) && Catch::Contains("empty"));
    std::remove(path.c_str());

    CHECK_FALSE(load_secret(path, error));
    CHECK_THAT(error, Catch::Contains(path) && Catch::Contains("No such file"));
}
