#pragma once
// How long pghad's monitoring waits for a server, derived from [failover]
// whatever the conninfo's connect_timeout says: a black-holed primary is
// judged lost after reconnect_attempts x reconnect_interval, not after TCP's
// retries or libpq's 2 s minimum.
#include <algorithm>
#include <chrono>

#include "config/config.hpp"

namespace pgha {

// Another node's server: one reconnect_interval per attempt.
inline std::chrono::milliseconds remote_deadline(const Config& config) {
    return std::max(config.failover.reconnect_interval, std::chrono::milliseconds(200));
}

// This node's own server, on loopback or a socket: more room, since a slow
// answer of the local primary must not pass for a dead one.
inline std::chrono::milliseconds local_deadline(const Config& config) {
    return std::max(2 * config.failover.reconnect_interval, std::chrono::milliseconds(2000));
}

}  // namespace pgha
