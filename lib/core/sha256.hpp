#pragma once
// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), self-contained: the peer
// protocol's signatures are computed without initializing OpenSSL, whose
// provider set-up alone costs a daemon about 2 MB of resident memory.
#include <array>
#include <cstdint>
#include <string_view>

namespace pgha {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::string_view data);
Sha256Digest hmac_sha256(std::string_view key, std::string_view message);

// Compares equal-length byte strings in time independent of their contents.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace pgha
