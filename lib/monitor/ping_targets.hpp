#pragma once
// fencing.mode = "ping": a node of a two-node cluster that lost its peer asks
// whether it can still reach any of `ping_targets` (addresses on the clients'
// side of the network). If none answers, it is the isolated one.
#include <string>
#include <vector>

#include "core/units.hpp"

namespace pgha {

struct PingOutcome {
    bool answered = false;
    std::string detail;  // "10.0.0.1 answered", or why each target did not
};

// "host:port" is a TCP connect; a bare address is one ICMP echo through the
// system's `ping` (iputils-ping). Targets are tried in order, each bounded by
// `timeout`; the first that answers ends the check.
PingOutcome check_ping_targets(const std::vector<std::string>& targets, Millis timeout);

}  // namespace pgha
