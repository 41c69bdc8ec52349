#include "http/auth.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/sha256.hpp"

namespace pgha {
namespace {

std::int64_t unix_ms(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

const std::string* header(const HttpRequest& request, const char* name) {
    auto it = request.headers.find(name);
    return it == request.headers.end() ? nullptr : &it->second;
}

AuthResult failed(AuthFailure failure, std::string reason) { return {failure, std::move(reason)}; }

std::string to_lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string trim(const std::string& text) {
    auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    std::size_t begin = 0, end = text.size();
    while (begin < end && space(text[begin])) ++begin;
    while (end > begin && space(text[end - 1])) --end;
    return text.substr(begin, end - begin);
}

}  // namespace

std::string sign(const std::string& secret, const std::string& method, const std::string& path,
                 std::int64_t timestamp_ms, const std::string& body) {
    std::string message = method + "\n" + path + "\n" + std::to_string(timestamp_ms) + "\n" + body;
    std::string hex;
    for (auto byte : hmac_sha256(secret, message)) hex += fmt::format("{:02x}", byte);
    return hex;
}

AuthResult verify(const HttpRequest& request, const std::string& secret,
                  std::chrono::system_clock::time_point now, std::chrono::milliseconds max_skew) {
    if (secret.empty())
        return failed(AuthFailure::no_secret, "no cluster secret configured on this node ([daemon] secret_file)");
    const std::string* timestamp = header(request, timestamp_header);
    if (!timestamp) return failed(AuthFailure::missing_header, "missing X-Pgha-Timestamp header");
    const std::string* signature = header(request, signature_header);
    if (!signature) return failed(AuthFailure::missing_header, "missing X-Pgha-Signature header");

    std::int64_t sent_ms = 0;
    auto [end, ec] = std::from_chars(timestamp->data(), timestamp->data() + timestamp->size(), sent_ms);
    if (ec != std::errc() || end != timestamp->data() + timestamp->size() || timestamp->empty())
        return failed(AuthFailure::bad_timestamp, "X-Pgha-Timestamp is not a number of milliseconds");
    // Replays are bounded by the skew window; the handlers are idempotent per term.
    // Compared as bounds around now so that no subtraction can overflow.
    std::int64_t now_ms = unix_ms(now);
    if (sent_ms < now_ms - max_skew.count() || sent_ms > now_ms + max_skew.count())
        return failed(AuthFailure::stale_timestamp,
                      fmt::format("X-Pgha-Timestamp is more than {} ms away from this node's clock; "
                                  "check clock synchronization",
                                  max_skew.count()));

    std::string expected = sign(secret, request.method, request.path, sent_ms, request.body);
    std::string given = to_lower(*signature);
    // The length of a SHA-256 hex digest is public; the comparison of its contents is constant-time.
    if (!constant_time_equal(given, expected))
        return failed(AuthFailure::bad_signature, "bad X-Pgha-Signature: is the cluster secret the same on every node?");
    return {};
}

HttpRequest signed_request(std::string method, std::string path, std::string body,
                           const std::string& secret, std::chrono::system_clock::time_point now) {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.body = std::move(body);
    std::int64_t timestamp = unix_ms(now);
    request.headers[timestamp_header] = std::to_string(timestamp);
    request.headers[signature_header] = sign(secret, request.method, request.path, timestamp, request.body);
    return request;
}

std::optional<std::string> load_secret(const std::string& path, std::string& error) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        error = fmt::format("cannot read secret file \"{}\": {}", path, std::strerror(errno));
        return std::nullopt;
    }
    std::ostringstream content;
    content << file.rdbuf();
    if (file.bad()) {
        error = fmt::format("cannot read secret file \"{}\"", path);
        return std::nullopt;
    }
    std::string secret = trim(content.str());
    if (secret.empty()) {
        error = fmt::format("secret file \"{}\" is empty; put the same random string in it on every node", path);
        return std::nullopt;
    }
    return secret;
}

}  // namespace pgha
