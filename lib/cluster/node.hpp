#pragma once
// Plain data about nodes: what the catalog says (NodeRecord) and what a probe
// saw (NodeObservation) are kept apart; NodeView pairs them for display.
#include <cstdint>
#include <optional>
#include <string>

#include "core/lsn.hpp"

namespace pgha {

struct NodeRecord {
    int node_id = 0;
    std::string node_name;
    std::string type;  // primary | standby | witness
    std::optional<int> upstream_node_id;
    bool active = true;
    std::string location = "default";
    int priority = 100;
    std::string conninfo;
    std::string repluser;
    std::optional<std::string> slot_name;
    std::string data_directory;
    std::string daemon_listen;  // host:port of its pghad
};

struct NodeObservation {
    bool reachable = false;
    std::string error;  // why it is unreachable
    bool in_recovery = false;
    std::optional<Lsn> lsn;         // primary: current WAL; standby: last received (or replayed)
    std::optional<Lsn> replay_lsn;  // standby only
    // Primary only: end of the last inserted record, comparable with a standby's
    // replay LSN (the write LSN may run ahead to a page boundary when idle).
    std::optional<Lsn> insert_lsn;
    std::optional<int> timeline;
    bool streaming = false;  // standby's WAL receiver is streaming
    std::optional<std::string> sender_host;
    std::optional<int> sender_port;
};

std::string slot_name_for(int node_id);

// "\"node2\" (ID 2)", how messages name a node.
std::string describe(const NodeRecord& node);

}  // namespace pgha
