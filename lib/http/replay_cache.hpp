#pragma once
// The nonces of the signed peer requests this daemon accepted, each kept for as
// long as its timestamp could still pass the skew check, so that a captured
// request is accepted at most once (http/auth.hpp). Pure: the time comes from
// the caller. Bounded: when full of unexpired nonces it refuses new ones rather
// than forget one (forgetting would let that request be replayed).
// In memory only: a restarted daemon has forgotten the nonces of the last
// window, and a clock stepped back by D reopens the last D of it (NTP slews).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

namespace pgha {

class ReplayCache {
public:
    enum class Admit { fresh, replayed, full };

    explicit ReplayCache(std::size_t capacity = 100'000) : capacity_(capacity) {}

    // Records `nonce` until `expires_ms` (the last instant its timestamp is
    // accepted) after evicting every nonce expired at `now_ms`. `replayed`
    // when the nonce is already remembered, `full` when `capacity` unexpired
    // nonces are; neither records anything.
    Admit admit(const std::string& nonce, std::int64_t expires_ms, std::int64_t now_ms);

    std::size_t size() const { return expiry_.size(); }
    std::size_t capacity() const { return capacity_; }

private:
    void evict(std::int64_t now_ms);

    std::size_t capacity_;
    std::unordered_map<std::string, std::int64_t> expiry_;  // nonce -> expires_ms
    std::multimap<std::int64_t, std::string> by_expiry_;    // for eviction in time order
};

}  // namespace pgha
