#pragma once
// The CLI's end of the switchover protocol (actions/switchover_protocol.hpp):
// signed requests to the daemons, the hold on all of them (renewed while the
// switchover waits, released at the end or by the destructor), and waiting
// for a step of the old primary's daemon by polling its state.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "actions/switchover_protocol.hpp"
#include "cluster/node.hpp"
#include "core/units.hpp"

namespace pgha {

struct DaemonAnswer {
    bool answered = false;
    std::string error;  // why not
    switchover::State state;
};

// Every node's /peer/switchover-state, all at once; answers in input order.
std::vector<DaemonAnswer> switchover_states(const std::string& secret, const std::vector<NodeRecord>& nodes);

class SwitchoverLink {
public:
    // How long a hold lasts unless renewed: a CLI that dies leaves automatic
    // failover held for at most this long.
    static constexpr Millis hold_for{10000};

    SwitchoverLink(std::string secret, std::vector<NodeRecord> nodes);
    ~SwitchoverLink();  // releases the holds (best effort)
    SwitchoverLink(const SwitchoverLink&) = delete;
    SwitchoverLink& operator=(const SwitchoverLink&) = delete;

    const std::string& id() const { return id_; }

    // Holds automatic failover on every daemon; returns "node: reason" for
    // each that refused or did not answer (nothing is held then).
    std::vector<std::string> hold();
    void release();

    // Sends `body` to `path` of `node`'s daemon (demote, rejoin, resume); the
    // step's state when accepted, else nullopt with `error`.
    std::optional<switchover::State> send(const NodeRecord& node, const std::string& path, const std::string& body,
                                          std::string& error);

    // Polls `node`'s daemon until step `name` of this switchover has ended or
    // `timeout` passed, renewing the holds meanwhile. nullopt (with `error`)
    // when the daemon stopped answering or the step did not end in time.
    std::optional<switchover::Step> wait_step(const NodeRecord& node, const std::string& name, Millis timeout,
                                              std::string& error);

    // Renews the holds when due (call while waiting on something else).
    void keep_holding();

private:
    std::vector<std::string> set_hold(Millis duration);

    std::string secret_;
    std::vector<NodeRecord> nodes_;
    std::string id_;
    bool holding_ = false;
    std::chrono::steady_clock::time_point renewed_{};
};

}  // namespace pgha
