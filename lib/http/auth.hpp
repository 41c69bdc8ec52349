#pragma once
// Peer requests between daemons are authenticated with the cluster secret
// (DESIGN.md section 6): the sender adds
//   X-Pgha-Timestamp: <unix time in ms>
//   X-Pgha-Signature: <hex HMAC-SHA256(secret, method \n path \n timestamp \n body)>
// The query string is not signed: peer routes take their input from the body.
// The secret never appears in logs, errors or responses.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "http/message.hpp"

namespace pgha {

inline constexpr const char* timestamp_header = "x-pgha-timestamp";
inline constexpr const char* signature_header = "x-pgha-signature";

enum class AuthFailure { none, no_secret, missing_header, bad_timestamp, stale_timestamp, bad_signature };

struct AuthResult {
    AuthFailure failure = AuthFailure::none;
    std::string reason;  // empty when ok; safe to send to the peer and to log

    bool ok() const { return failure == AuthFailure::none; }
    explicit operator bool() const { return ok(); }
};

// Lower-case hex HMAC-SHA256 of the canonical string above.
std::string sign(const std::string& secret, const std::string& method, const std::string& path,
                 std::int64_t timestamp_ms, const std::string& body);

// Checks the request's headers against `secret` at time `now`. An empty secret
// refuses everything: peer endpoints stay closed until a secret is configured.
AuthResult verify(const HttpRequest& request, const std::string& secret,
                  std::chrono::system_clock::time_point now,
                  std::chrono::milliseconds max_skew = std::chrono::seconds(30));

// A request carrying the two auth headers for `secret` at time `now`.
HttpRequest signed_request(std::string method, std::string path, std::string body,
                           const std::string& secret, std::chrono::system_clock::time_point now);

// The secret from `[daemon] secret_file`, trimmed of surrounding whitespace.
// nullopt with `error` naming the file when it cannot be read or is empty.
std::optional<std::string> load_secret(const std::string& path, std::string& error);

}  // namespace pgha
