#include "pg/conninfo.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <memory>

#include "core/error.hpp"

namespace pgha::pg {
namespace {

struct OptionsDeleter {
    void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
using OptionsPtr = std::unique_ptr<PQconninfoOption, OptionsDeleter>;

struct ErrorDeleter {
    void operator()(char* text) const { PQfreemem(text); }
};

OptionsPtr parse_options(const std::string& conninfo, std::string& problem) {
    char* raw_error = nullptr;
    OptionsPtr options(PQconninfoParse(conninfo.c_str(), &raw_error));
    std::unique_ptr<char, ErrorDeleter> error(raw_error);
    if (!options) {
        problem = error ? std::string(error.get()) : "out of memory";
        while (!problem.empty() && (problem.back() == '\n' || problem.back() == ' ')) problem.pop_back();
    }
    return options;
}

bool needs_quotes(const std::string& value) {
    if (value.empty()) return true;
    for (char c : value)
        if (c == ' ' || c == '\'' || c == '\\' || c == '=' || c == '\t' || c == '\n') return true;
    return false;
}

}  // namespace

std::optional<std::string> conninfo_problem(const std::string& conninfo) {
    std::string problem;
    if (parse_options(conninfo, problem)) return std::nullopt;
    return problem;
}

ConninfoParams parse_conninfo(const std::string& conninfo) {
    std::string problem;
    auto options = parse_options(conninfo, problem);
    if (!options)
        throw Error(ExitCode::usage, "invalid connection string", problem,
                    "use the libpq form \"host=... port=... user=... dbname=...\"");
    ConninfoParams params;
    for (auto* option = options.get(); option->keyword; ++option)
        if (option->val) params.emplace_back(option->keyword, option->val);
    return params;
}

std::string format_conninfo(const ConninfoParams& params) {
    std::string out;
    for (const auto& [key, value] : params) {
        if (!out.empty()) out += ' ';
        out += key;
        out += '=';
        if (!needs_quotes(value)) {
            out += value;
            continue;
        }
        out += '\'';
        for (char c : value) {
            if (c == '\'' || c == '\\') out += '\\';
            out += c;
        }
        out += '\'';
    }
    return out;
}

std::string redact_conninfo(const std::string& conninfo) {
    std::string problem;
    auto options = parse_options(conninfo, problem);
    if (!options) return "(connection string hidden: it is not valid)";
    ConninfoParams params;
    for (auto* option = options.get(); option->keyword; ++option)
        if (option->val && std::string_view(option->keyword) != "password")
            params.emplace_back(option->keyword, option->val);
    return format_conninfo(params);
}

std::optional<std::string> conninfo_value(const std::string& conninfo, const std::string& key) {
    std::string problem;
    auto options = parse_options(conninfo, problem);
    if (!options) return std::nullopt;
    for (auto* option = options.get(); option->keyword; ++option)
        if (option->val && key == option->keyword) return std::string(option->val);
    return std::nullopt;
}

std::string conninfo_with(const std::string& conninfo, const ConninfoParams& overrides) {
    auto params = parse_conninfo(conninfo);
    for (const auto& [key, value] : overrides) {
        auto it = std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == key; });
        if (it != params.end()) it->second = value;
        else params.emplace_back(key, value);
    }
    return format_conninfo(params);
}

std::string conninfo_label(const std::string& conninfo) {
    auto host = conninfo_value(conninfo, "host").value_or(
        conninfo_value(conninfo, "hostaddr").value_or("local socket"));
    auto port = conninfo_value(conninfo, "port").value_or("5432");
    return fmt::format("host={} port={}", host, port);
}

}  // namespace pgha::pg
