#include "http/replay_cache.hpp"

namespace pgha {

void ReplayCache::evict(std::int64_t now_ms) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first < now_ms) {
        expiry_.erase(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
    }
}

ReplayCache::Admit ReplayCache::admit(const std::string& nonce, std::int64_t expires_ms, std::int64_t now_ms) {
    evict(now_ms);
    if (expiry_.count(nonce)) return Admit::replayed;
    if (expiry_.size() >= capacity_) return Admit::full;
    expiry_.emplace(nonce, expires_ms);
    by_expiry_.emplace(expires_ms, nonce);
    return Admit::fresh;
}

}  // namespace pgha
