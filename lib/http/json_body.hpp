#pragma once
// Reading the JSON bodies of peer requests and replies: anything malformed is a
// BadRequest (HTTP 400), never a crash. Shared by every /peer/* message module.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "core/lsn.hpp"
#include "http/router.hpp"

namespace pgha::json_body {

using json = nlohmann::json;

inline json parse_object(const std::string& body) {
    try {
        auto doc = json::parse(body);
        if (!doc.is_object()) throw BadRequest("the body must be a JSON object");
        return doc;
    } catch (const json::exception& error) {
        throw BadRequest(std::string("malformed JSON: ") + error.what());
    }
}

template <typename T>
T field(const json& doc, const char* name) {
    try {
        return doc.at(name).get<T>();
    } catch (const json::exception&) {
        throw BadRequest(std::string("missing or invalid field \"") + name + "\"");
    }
}

inline json lsn_json(const std::optional<Lsn>& lsn) { return lsn ? json(format_lsn(*lsn)) : json(); }

// nullopt when absent or null; BadRequest when present but not an LSN.
inline std::optional<Lsn> lsn_field(const json& doc, const char* name) {
    if (!doc.contains(name) || doc[name].is_null()) return std::nullopt;
    auto parsed = parse_lsn(field<std::string>(doc, name));
    if (!parsed) throw BadRequest(std::string("field \"") + name + "\" is not an LSN");
    return parsed;
}

}  // namespace pgha::json_body
