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

TEST_CASE("signatures are HMAC-SHA256 of method, path, timestamp, nonce and body", "[http]") {
    // Expected value from:
    //   printf 'POST\n/peer/vote\n1700000000000\n00112233445566778899aabbccddeeff\n{"term":7}' |
    //   openssl dgst -sha256 -hmac 'correct horse battery staple'
    const std::string n = "00112233445566778899aabbccddeeff";
    CHECK(sign(secret, "POST", "/peer/vote", 1'700'000'000'000, n, R"({"term":7})") ==
          "e7331fac88ea24c2a2c723ffb33a7ac4110d1f7a879358d53d5ff9b4b00e0fae");
    CHECK(sign(secret, "POST", "/peer/vote", 1, n, "x") == sign(secret, "POST", "/peer/vote", 1, n, "x"));
    CHECK(sign(secret, "POST", "/peer/vote", 1, n, "x") != sign(secret, "POST", "/peer/vote", 2, n, "x"));
    CHECK(sign(secret, "POST", "/peer/vote", 1, n, "x") != sign("other", "POST", "/peer/vote", 1, n, "x"));
    CHECK(sign(secret, "POST", "/peer/vote", 1, n, "x") !=
          sign(secret, "POST", "/peer/vote", 1, "ffeeddccbbaa99887766554433221100", "x"));
}

TEST_CASE("nonces are 32 random hex digits, a new one in every signed request", "[http]") {
    auto a = random_nonce();
    CHECK(a.size() == 32);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(random_nonce() != a);
    auto first = vote_request(), second = vote_request();
    CHECK(first.headers.at(nonce_header).size() == 32);
    CHECK(first.headers.at(nonce_header) != second.headers.at(nonce_header));
    CHECK(first.headers.at(signature_header) != second.headers.at(signature_header));
}

TEST_CASE("a correctly signed request verifies", "[http]") {
    auto request = vote_request();
    CHECK(request.headers.at(timestamp_header) == "1700000000000");
    auto result = verify_signature(request, secret, now);
    CHECK(result.ok());
    CHECK(result.reason.empty());
    CHECK(verify_signature(request, secret, now + 29s).ok());
    CHECK(verify_signature(request, secret, now - 29s).ok());  // the sender's clock may run ahead

    // Upper-case hex is the same signature.
    for (auto& c : request.headers[signature_header]) c = static_cast<char>(std::toupper(c));
    CHECK(verify_signature(request, secret, now).ok());
}

TEST_CASE("tampered requests fail with a bad signature", "[http]") {
    struct Case { const char* what; void (*tamper)(HttpRequest&); };
    for (auto c : {Case{"body", [](HttpRequest& r) { r.body = R"({"term":8,"candidate":2})"; }},
                   Case{"path", [](HttpRequest& r) { r.path = "/peer/demote"; }},
                   Case{"method", [](HttpRequest& r) { r.method = "PUT"; }},
                   Case{"timestamp", [](HttpRequest& r) { r.headers[timestamp_header] = "1700000000001"; }},
                   Case{"nonce", [](HttpRequest& r) { r.headers[nonce_header][0] ^= 1; }},
                   Case{"signature", [](HttpRequest& r) { r.headers[signature_header][0] ^= 1; }},
                   Case{"short signature", [](HttpRequest& r) { r.headers[signature_header].pop_back(); }}}) {
        INFO(c.what);
        auto request = vote_request();
        c.tamper(request);
        auto result = verify_signature(request, secret, now);
        CHECK(result.failure == AuthFailure::bad_signature);
        CHECK_THAT(result.reason, Catch::Contains("X-Pgha-Signature"));
    }
    CHECK(verify_signature(vote_request(), "another secret", now).failure == AuthFailure::bad_signature);
}

TEST_CASE("stale or future timestamps are refused", "[http]") {
    auto request = vote_request();
    CHECK(verify_signature(request, secret, now + 31s).failure == AuthFailure::stale_timestamp);
    CHECK(verify_signature(request, secret, now - 31s).failure == AuthFailure::stale_timestamp);
    CHECK(verify_signature(request, secret, now + 2s, 1s).failure == AuthFailure::stale_timestamp);
    CHECK_THAT(verify_signature(request, secret, now + 31s).reason, Catch::Contains("clock"));

    request.headers[timestamp_header] = "-9223372036854775808";
    CHECK(verify_signature(request, secret, now).failure == AuthFailure::stale_timestamp);
    for (auto bad : {"", "soon", "12ms", "99999999999999999999999"}) {
        INFO(bad);
        request.headers[timestamp_header] = bad;
        CHECK(verify_signature(request, secret, now).failure == AuthFailure::bad_timestamp);
    }
}

TEST_CASE("missing headers and a missing secret are refused", "[http]") {
    auto request = vote_request();
    request.headers.erase(signature_header);
    CHECK(verify_signature(request, secret, now).failure == AuthFailure::missing_header);
    CHECK_THAT(verify_signature(request, secret, now).reason, Catch::Contains("X-Pgha-Signature"));

    request = vote_request();
    request.headers.erase(nonce_header);
    CHECK(verify_signature(request, secret, now).failure == AuthFailure::missing_header);
    CHECK_THAT(verify_signature(request, secret, now).reason, Catch::Contains("X-Pgha-Nonce"));
    for (auto bad : {"", "00112233", "00112233445566778899aabbccddeefg", "00112233445566778899aabbccddeeff00"}) {
        INFO(bad);
        request.headers[nonce_header] = bad;
        CHECK(verify_signature(request, secret, now).failure == AuthFailure::bad_nonce);
    }

    request = vote_request();
    request.headers.erase(timestamp_header);
    CHECK(verify_signature(request, secret, now).failure == AuthFailure::missing_header);
    CHECK_THAT(verify_signature(request, secret, now).reason, Catch::Contains("X-Pgha-Timestamp"));

    // Even a request signed with the empty key is refused when no secret is set.
    auto empty_signed = signed_request("POST", "/peer/vote", "{}", "", now);
    auto result = verify_signature(empty_signed, "", now);
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

TEST_CASE("a signed request is accepted once; its replay is refused and counted nowhere", "[http]") {
    ReplayCache seen;
    auto request = vote_request();
    auto first = verify(request, secret, now, 30s, seen);
    CHECK(first.ok());
    auto again = verify(request, secret, now + 1s, 30s, seen);
    CHECK(again.failure == AuthFailure::replayed);
    CHECK(again.status() == 409);
    CHECK_THAT(again.reason, Catch::Contains("replayed"));
    CHECK(verify(request, secret, now + 29s, 30s, seen).failure == AuthFailure::replayed);
    // Past the window the timestamp is refused before the cache is asked.
    CHECK(verify(request, secret, now + 31s, 30s, seen).failure == AuthFailure::stale_timestamp);

    // The same content signed again (a new nonce) is a new request.
    CHECK(verify(vote_request(), secret, now, 30s, seen).ok());
    CHECK(seen.size() == 2);

    // Refused requests record nothing: a bad signature cannot fill or poison the cache.
    auto forged = vote_request();
    forged.headers[signature_header][0] ^= 1;
    CHECK(verify(forged, secret, now, 30s, seen).failure == AuthFailure::bad_signature);
    auto unsigned_request = vote_request();
    unsigned_request.headers.erase(nonce_header);
    CHECK(verify(unsigned_request, secret, now, 30s, seen).failure == AuthFailure::missing_header);
    CHECK(seen.size() == 2);
    forged.headers[signature_header][0] ^= 1;  // the genuine one was never admitted
    CHECK(verify(forged, secret, now, 30s, seen).ok());
}

TEST_CASE("the process-wide verify() refuses a replay", "[http]") {
    auto request = signed_request("POST", "/peer/pause", R"({"paused":true})", secret,
                                  std::chrono::system_clock::now());
    CHECK(verify(request, secret, std::chrono::system_clock::now()).ok());
    CHECK(verify(request, secret, std::chrono::system_clock::now()).failure == AuthFailure::replayed);
}

TEST_CASE("nonces are remembered while their timestamp is in the window, then evicted", "[http]") {
    ReplayCache seen;
    const std::int64_t t = 1'000'000;
    CHECK(seen.admit("a", t + 30'000, t) == ReplayCache::Admit::fresh);
    CHECK(seen.admit("b", t + 60'000, t) == ReplayCache::Admit::fresh);  // signed 30 s ahead of us
    CHECK(seen.admit("a", t + 30'000, t + 30'000) == ReplayCache::Admit::replayed);  // the last instant
    CHECK(seen.size() == 2);
    CHECK(seen.admit("c", t + 60'000, t + 30'001) == ReplayCache::Admit::fresh);
    CHECK(seen.size() == 2);  // "a" evicted, "b" kept
    CHECK(seen.admit("b", t + 60'000, t + 59'000) == ReplayCache::Admit::replayed);
    CHECK(seen.admit("d", t + 90'000, t + 60'001) == ReplayCache::Admit::fresh);
    CHECK(seen.size() == 1);

    // Through verify(): a request signed 25 s ago stays refused until it is stale.
    ReplayCache cache;
    auto request = vote_request(now - 25s);
    CHECK(verify(request, secret, now, 30s, cache).ok());
    CHECK(cache.size() == 1);
    CHECK(verify(vote_request(now + 6s), secret, now + 6s, 30s, cache).ok());
    CHECK(cache.size() == 1);  // the first one's expiry (now + 5 s) has passed
}

TEST_CASE("a full replay cache refuses new nonces instead of forgetting unexpired ones", "[http]") {
    ReplayCache seen(3);
    const std::int64_t t = 5'000;
    for (auto n : {"a", "b", "c"}) CHECK(seen.admit(n, t + 100, t) == ReplayCache::Admit::fresh);
    CHECK(seen.admit("d", t + 100, t + 50) == ReplayCache::Admit::full);
    CHECK(seen.admit("a", t + 100, t + 50) == ReplayCache::Admit::replayed);  // still remembered
    CHECK(seen.size() == 3);
    CHECK(seen.admit("d", t + 200, t + 101) == ReplayCache::Admit::fresh);  // the others expired
    CHECK(seen.size() == 1);

    ReplayCache one(1);
    CHECK(verify(vote_request(), secret, now, 30s, one).ok());
    auto refused = verify(vote_request(), secret, now, 30s, one);
    CHECK(refused.failure == AuthFailure::replay_cache_full);
    CHECK(refused.status() == 503);
    CHECK_THAT(refused.reason, Catch::Contains("retry"));
}
