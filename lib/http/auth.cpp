#include "http/auth.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <system_error>

#include <sys/random.h>

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

constexpr std::size_t nonce_bytes = 16;

bool is_nonce(const std::string& text) {
    if (text.size() != 2 * nonce_bytes) return false;
    for (char c : text)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

}  // namespace

int AuthResult::status() const {
    switch (failure) {
        case AuthFailure::none: return 200;
        case AuthFailure::replayed: return 409;
        case AuthFailure::replay_cache_full: return 503;
        default: return 401;
    }
}

std::string sign(const std::string& secret, const std::string& method, const std::string& path,
                 std::int64_t timestamp_ms, const std::string& nonce, const std::string& body) {
    std::string message =
        method + "\n" + path + "\n" + std::to_string(timestamp_ms) + "\n" + nonce + "\n" + body;
    std::string hex;
    for (auto byte : hmac_sha256(secret, message)) hex += fmt::format("{:02x}", byte);
    return hex;
}

std::string random_nonce() {
    unsigned char bytes[nonce_bytes];
    std::size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::system_error(errno, std::generic_category(), "getrandom() for a request nonce");
        got += static_cast<std::size_t>(n);
    }
    std::string hex;
    for (auto byte : bytes) hex += fmt::format("{:02x}", byte);
    return hex;
}

AuthResult verify_signature(const HttpRequest& request, const std::string& secret,
                            std::chrono::system_clock::time_point now, std::chrono::milliseconds max_skew) {
    if (secret.empty())
        return failed(AuthFailure::no_secret, "no cluster secret configured on this node ([daemon] secret_file)");
    const std::string* timestamp = header(request, timestamp_header);
    if (!timestamp) return failed(AuthFailure::missing_header, "missing X-Pgha-Timestamp header");
    const std::string* signature = header(request, signature_header);
    if (!signature) return failed(AuthFailure::missing_header, "missing X-Pgha-Signature header");
    const std::string* nonce = header(request, nonce_header);
    if (!nonce)
        return failed(AuthFailure::missing_header,
                      "missing X-Pgha-Nonce header (a pgha or pghad older than this node? upgrade every node)");
    if (!is_nonce(*nonce)) return failed(AuthFailure::bad_nonce, "X-Pgha-Nonce is not 32 hex digits");

    std::int64_t sent_ms = 0;
    auto [end, ec] = std::from_chars(timestamp->data(), timestamp->data() + timestamp->size(), sent_ms);
    if (ec != std::errc() || end != timestamp->data() + timestamp->size() || timestamp->empty())
        return failed(AuthFailure::bad_timestamp, "X-Pgha-Timestamp is not a number of milliseconds");
    // Compared as bounds around now so that no subtraction can overflow.
    std::int64_t now_ms = unix_ms(now);
    if (sent_ms < now_ms - max_skew.count() || sent_ms > now_ms + max_skew.count())
        return failed(AuthFailure::stale_timestamp,
                      fmt::format("X-Pgha-Timestamp is more than {} ms away from this node's clock; "
                                  "check clock synchronization",
                                  max_skew.count()));

    std::string expected = sign(secret, request.method, request.path, sent_ms, *nonce, request.body);
    std::string given = to_lower(*signature);
    // The length of a SHA-256 hex digest is public; the comparison of its contents is constant-time.
    if (!constant_time_equal(given, expected))
        return failed(AuthFailure::bad_signature, "bad X-Pgha-Signature: is the cluster secret the same on every node?");
    return {};
}

AuthResult verify(const HttpRequest& request, const std::string& secret, std::chrono::system_clock::time_point now,
                  std::chrono::milliseconds max_skew, ReplayCache& seen) {
    AuthResult result = verify_signature(request, secret, now, max_skew);
    if (!result) return result;
    // Parsed and in the window: verify_signature() checked both.
    std::int64_t sent_ms = std::stoll(request.headers.at(timestamp_header));
    std::string nonce = to_lower(request.headers.at(nonce_header));
    switch (seen.admit(nonce, sent_ms + max_skew.count(), unix_ms(now))) {
        case ReplayCache::Admit::fresh: return {};
        case ReplayCache::Admit::replayed:
            return failed(AuthFailure::replayed,
                          "replayed request refused: this X-Pgha-Nonce was already accepted (sign every request anew)");
        case ReplayCache::Admit::full:
            return failed(AuthFailure::replay_cache_full,
                          fmt::format("refused: {} signed requests within {} ms fill this node's replay cache; "
                                      "retry later",
                                      seen.capacity(), max_skew.count()));
    }
    return failed(AuthFailure::replayed, "replayed request refused");
}

AuthResult verify(const HttpRequest& request, const std::string& secret, std::chrono::system_clock::time_point now,
                  std::chrono::milliseconds max_skew) {
    static std::mutex mutex;
    static ReplayCache seen;
    std::lock_guard lock(mutex);
    return verify(request, secret, now, max_skew, seen);
}

HttpRequest signed_request(std::string method, std::string path, std::string body,
                           const std::string& secret, std::chrono::system_clock::time_point now) {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.body = std::move(body);
    std::int64_t timestamp = unix_ms(now);
    std::string nonce = random_nonce();
    request.headers[timestamp_header] = std::to_string(timestamp);
    request.headers[nonce_header] = nonce;
    request.headers[signature_header] = sign(secret, request.method, request.path, timestamp, nonce, request.body);
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
