#pragma once
// Peer requests between daemons are authenticated with the cluster secret
// (DESIGN.md section 6): the sender adds
//   X-Pgha-Timestamp: <unix time in ms>
//   X-Pgha-Nonce:     <32 hex digits, 16 random bytes from getrandom(2)>
//   X-Pgha-Signature: <hex HMAC-SHA256(secret, method \n path \n timestamp \n nonce \n body)>
// The query string is not signed: peer routes take their input from the body.
// A request is accepted at most once: verify() remembers each accepted nonce
// for as long as its timestamp passes the skew check and refuses it again.
// The secret never appears in logs, errors or responses.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "http/message.hpp"
#include "http/replay_cache.hpp"

namespace pgha {

inline constexpr const char* timestamp_header = "x-pgha-timestamp";
inline constexpr const char* signature_header = "x-pgha-signature";
inline constexpr const char* nonce_header = "x-pgha-nonce";

enum class AuthFailure {
    none, no_secret, missing_header, bad_timestamp, stale_timestamp, bad_nonce, bad_signature,
    replayed,           // a valid signature whose nonce was already accepted
    replay_cache_full,  // too many unexpired nonces to remember one more
};

struct AuthResult {
    AuthFailure failure = AuthFailure::none;
    std::string reason;  // empty when ok; safe to send to the peer and to log
    // The HTTP status that fits: 401, 409 for a replay, 503 when the cache is full.
    int status() const;

    bool ok() const { return failure == AuthFailure::none; }
    explicit operator bool() const { return ok(); }
};

// Lower-case hex HMAC-SHA256 of the canonical string above.
std::string sign(const std::string& secret, const std::string& method, const std::string& path,
                 std::int64_t timestamp_ms, const std::string& nonce, const std::string& body);

// 32 lower-case hex digits from getrandom(2). Throws std::system_error when the
// kernel gives no randomness.
std::string random_nonce();

// Checks the request's headers against `secret` at time `now`, without
// remembering anything. An empty secret refuses everything: peer endpoints stay
// closed until a secret is configured.
AuthResult verify_signature(const HttpRequest& request, const std::string& secret,
                            std::chrono::system_clock::time_point now,
                            std::chrono::milliseconds max_skew = std::chrono::seconds(30));

// verify_signature(), then admits the nonce into `seen` (only when the
// signature is valid, so that nobody without the secret can fill it) until
// its timestamp + max_skew.
AuthResult verify(const HttpRequest& request, const std::string& secret,
                  std::chrono::system_clock::time_point now, std::chrono::milliseconds max_skew,
                  ReplayCache& seen);

// The same with this process's cache (one per pghad process, guarded by a
// mutex): what the daemon's router uses.
AuthResult verify(const HttpRequest& request, const std::string& secret,
                  std::chrono::system_clock::time_point now,
                  std::chrono::milliseconds max_skew = std::chrono::seconds(30));

// A request carrying the three auth headers for `secret` at time `now`, with a
// fresh random nonce: sign every attempt anew, never resend one.
HttpRequest signed_request(std::string method, std::string path, std::string body,
                           const std::string& secret, std::chrono::system_clock::time_point now);

// The secret from `[daemon] secret_file`, trimmed of surrounding whitespace.
// nullopt with `error` naming the file when it cannot be read or is empty.
std::optional<std::string> load_secret(const std::string& path, std::string& error);

}  // namespace pgha
