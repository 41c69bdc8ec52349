#include "protocol/peer_messages.hpp"

#include <nlohmann/json.hpp>

#include "http/json_body.hpp"

namespace pgha::peer {
namespace {

using json = nlohmann::json;
using json_body::field;
using json_body::lsn_field;
using json_body::lsn_json;

json parse(const std::string& body) { return json_body::parse_object(body); }

}  // namespace

std::string encode(const Heartbeat& m) {
    return json{{"term", m.term}, {"leader_id", m.leader_id}, {"round", m.round}}.dump();
}
std::string encode(const Release& m) {
    return json{{"term", m.term}, {"leader_id", m.leader_id}, {"postmaster_exited", m.postmaster_exited}}.dump();
}
std::string encode(const VoteRequest& m) {
    return json{{"term", m.term}, {"candidate_id", m.candidate_id}, {"candidate_lsn", format_lsn(m.candidate_lsn)}}.dump();
}
std::string encode(const Reply& m) {
    return json{{"granted", m.granted},
                {"term", m.term},
                {"node_id", m.node_id},
                {"reason", m.reason},
                {"promise_ms", m.promise_ms},
                {"newest_timeline", m.newest_timeline}}
        .dump();
}
std::string encode(const State& m) {
    return json{{"node_id", m.node_id}, {"role", m.role},   {"sees_primary", m.sees_primary}, {"lsn", lsn_json(m.lsn)},
                {"priority", m.priority}, {"term", m.term}, {"paused", m.paused}, {"unfencing", m.unfencing}}
        .dump();
}
std::string encode(const Pause& m) { return json{{"paused", m.paused}}.dump(); }

Heartbeat decode_heartbeat(const std::string& body) {
    auto doc = parse(body);
    return {field<std::int64_t>(doc, "term"), field<int>(doc, "leader_id"), field<std::uint64_t>(doc, "round")};
}
Release decode_release(const std::string& body) {
    auto doc = parse(body);
    return {field<std::int64_t>(doc, "term"), field<int>(doc, "leader_id"), doc.value("postmaster_exited", false)};
}
VoteRequest decode_vote_request(const std::string& body) {
    auto doc = parse(body);
    auto lsn = lsn_field(doc, "candidate_lsn");
    if (!lsn) throw BadRequest("field \"candidate_lsn\" is required");
    return {field<std::int64_t>(doc, "term"), field<int>(doc, "candidate_id"), *lsn};
}
Reply decode_reply(const std::string& body) {
    auto doc = parse(body);
    return {field<bool>(doc, "granted"), field<std::int64_t>(doc, "term"), field<int>(doc, "node_id"),
            doc.value("reason", std::string()), doc.value("promise_ms", std::int64_t(0)),
            doc.value("newest_timeline", 0)};
}
State decode_state(const std::string& body) {
    auto doc = parse(body);
    return {field<int>(doc, "node_id"), field<std::string>(doc, "role"), field<bool>(doc, "sees_primary"),
            lsn_field(doc, "lsn"), field<int>(doc, "priority"), field<std::int64_t>(doc, "term"),
            field<bool>(doc, "paused"), doc.value("unfencing", false)};
}
Pause decode_pause(const std::string& body) { return {field<bool>(parse(body), "paused")}; }

}  // namespace pgha::peer
