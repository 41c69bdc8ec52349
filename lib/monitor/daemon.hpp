#pragma once
// pghad's core: one event loop that monitors this node every monitor_interval,
// serves HTTP (health, status, metrics, peer protocol), holds the primary's
// lease with heartbeats, fences a primary that loses its lease, and on a
// standby runs the election of DESIGN.md section 7. Blocking work (libpq,
// pg_ctl, hooks) runs on Workers; all state lives on the loop thread.
#include <memory>
#include <string>

#include "config/config.hpp"

namespace boost::asio {
class io_context;
}

namespace pgha {

class Daemon {
public:
    // Throws pgha::Error when the state file or the listen address is unusable.
    Daemon(boost::asio::io_context& io, Config config, std::string secret);
    ~Daemon();
    void start();
    void stop();
    // SIGHUP: the new config replaces the old (the caller validated it).
    void reload(Config config, std::string secret);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pgha
