#include "actions/switchover_protocol.hpp"

#include <cctype>

#include "http/json_body.hpp"

namespace pgha::switchover {
namespace {

using json = nlohmann::json;
using json_body::field;
using json_body::lsn_field;
using json_body::lsn_json;
using json_body::parse_object;

// An id is echoed in logs and answers: keep it short and plain.
std::string id_field(const json& doc) {
    auto id = field<std::string>(doc, "id");
    if (id.empty() || id.size() > 64) throw BadRequest("field \"id\" must have 1 to 64 characters");
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') throw BadRequest("field \"id\" must be [A-Za-z0-9-]");
    return id;
}

StepState step_state(const std::string& text) {
    if (text == "running") return StepState::running;
    if (text == "done") return StepState::done;
    if (text == "failed") return StepState::failed;
    throw BadRequest("unknown step state \"" + text + "\"");
}

json step_json(const Step& s) {
    return {{"id", s.id},
            {"name", s.name},
            {"state", to_string(s.state)},
            {"message", s.message},
            {"checkpoint_lsn", lsn_json(s.checkpoint_lsn)},
            {"timeline", s.timeline},
            {"clean", s.clean},
            {"running_as_primary", s.running_as_primary},
            {"refused", s.refused}};
}

Step decode_step(const json& doc) {
    if (!doc.is_object()) throw BadRequest("field \"step\" must be an object");
    Step s;
    s.id = field<std::string>(doc, "id");
    s.name = field<std::string>(doc, "name");
    s.state = step_state(field<std::string>(doc, "state"));
    s.message = field<std::string>(doc, "message");
    s.checkpoint_lsn = lsn_field(doc, "checkpoint_lsn");
    s.timeline = field<int>(doc, "timeline");
    s.clean = field<bool>(doc, "clean");
    s.running_as_primary = field<bool>(doc, "running_as_primary");
    s.refused = field<bool>(doc, "refused");
    return s;
}

}  // namespace

std::string to_string(StepState state) {
    switch (state) {
        case StepState::running: return "running";
        case StepState::done: return "done";
        case StepState::failed: return "failed";
    }
    return "?";
}

std::string encode(const Hold& m) { return json{{"id", m.id}, {"hold_ms", m.hold_ms}}.dump(); }
std::string encode(const Demote& m) { return json{{"id", m.id}, {"stop_timeout_ms", m.stop_timeout_ms}}.dump(); }
std::string encode(const Rejoin& m) {
    return json{{"id", m.id}, {"primary_node_id", m.primary_node_id}, {"allow_rewind", m.allow_rewind}}.dump();
}
std::string encode(const Resume& m) { return json{{"id", m.id}}.dump(); }
std::string encode(const State& m) {
    return json{{"node_id", m.node_id},
                {"role", m.role},
                {"term", m.term},
                {"paused", m.paused},
                {"hold_id", m.hold_id},
                {"hold_ms", m.hold_ms},
                {"service_ready", m.service_ready},
                {"service_detail", m.service_detail},
                {"step", m.step ? step_json(*m.step) : json()}}
        .dump();
}

Hold decode_hold(const std::string& body) {
    auto doc = parse_object(body);
    Hold m{id_field(doc), field<std::int64_t>(doc, "hold_ms")};
    if (m.hold_ms < 0 || m.hold_ms > 3600 * 1000) throw BadRequest("field \"hold_ms\" must be 0 to 3600000");
    return m;
}

Demote decode_demote(const std::string& body) {
    auto doc = parse_object(body);
    Demote m{id_field(doc), field<std::int64_t>(doc, "stop_timeout_ms")};
    if (m.stop_timeout_ms < 100 || m.stop_timeout_ms > 3600 * 1000)
        throw BadRequest("field \"stop_timeout_ms\" must be 100 to 3600000");
    return m;
}

Rejoin decode_rejoin(const std::string& body) {
    auto doc = parse_object(body);
    return {id_field(doc), field<int>(doc, "primary_node_id"), field<bool>(doc, "allow_rewind")};
}

Resume decode_resume(const std::string& body) { return {id_field(parse_object(body))}; }

State decode_state(const std::string& body) {
    auto doc = parse_object(body);
    State m;
    m.node_id = field<int>(doc, "node_id");
    m.role = field<std::string>(doc, "role");
    m.term = field<std::int64_t>(doc, "term");
    m.paused = field<bool>(doc, "paused");
    m.hold_id = field<std::string>(doc, "hold_id");
    m.hold_ms = field<std::int64_t>(doc, "hold_ms");
    m.service_ready = field<bool>(doc, "service_ready");
    m.service_detail = field<std::string>(doc, "service_detail");
    if (doc.contains("step") && !doc["step"].is_null()) m.step = decode_step(doc["step"]);
    return m;
}

}  // namespace pgha::switchover
