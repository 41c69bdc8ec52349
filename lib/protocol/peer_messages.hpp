#pragma once
// The daemon-to-daemon messages (JSON bodies of the authenticated /peer/*
// routes). Pure encode/decode; decode throws BadRequest on malformed input.
#include <cstdint>
#include <optional>
#include <string>

#include "core/lsn.hpp"

namespace pgha::peer {

struct Heartbeat {  // POST /peer/heartbeat: the primary renews its lease
    std::int64_t term = 0;
    int leader_id = 0;
    std::uint64_t round = 0;
};

struct Release {  // POST /peer/release: the primary's PostgreSQL died; lease given up
    std::int64_t term = 0;
    int leader_id = 0;
    // Its daemon saw the postmaster exit after a crash (not a clean
    // shutdown): nothing is left to reconnect to, so no failure threshold.
    bool postmaster_exited = false;
};

struct VoteRequest {  // POST /peer/vote
    std::int64_t term = 0;
    int candidate_id = 0;
    Lsn candidate_lsn = 0;
};

struct Reply {  // the answer to heartbeat, vote, release and pause
    bool granted = false;
    std::int64_t term = 0;
    int node_id = 0;
    std::string reason;
    std::int64_t promise_ms = 0;  // a granted heartbeat or vote: how long the voter promises not to vote
    // A vote: the newest timeline the voter's pg_wal knows, so that the winner
    // starts a timeline number nobody has used (0: not told).
    int newest_timeline = 0;
};

struct State {  // POST /peer/state: what a peer sees, for the election snapshot
    int node_id = 0;
    std::string role;  // primary | standby | witness | unknown
    bool sees_primary = false;
    std::optional<Lsn> lsn;  // received (standby) or current (primary)
    int priority = 0;
    std::int64_t term = 0;
    bool paused = false;
    // A fenced old primary taking its lease back (nobody was elected): no
    // standby stands meanwhile, it has the WAL it wrote alone.
    bool unfencing = false;
};

struct Pause {  // POST /peer/pause
    bool paused = false;
};

std::string encode(const Heartbeat& m);
std::string encode(const Release& m);
std::string encode(const VoteRequest& m);
std::string encode(const Reply& m);
std::string encode(const State& m);
std::string encode(const Pause& m);

Heartbeat decode_heartbeat(const std::string& body);
Release decode_release(const std::string& body);
VoteRequest decode_vote_request(const std::string& body);
Reply decode_reply(const std::string& body);
State decode_state(const std::string& body);
Pause decode_pause(const std::string& body);

}  // namespace pgha::peer
