#pragma once
// HTTP requests and responses as plain data, so routes and handlers are pure
// and testable without sockets. Only server.cpp and client.cpp touch Beast.
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace pgha {

struct HttpRequest {
    std::string method;                          // "GET", "POST", ...
    std::string path;                            // decoded, without the query
    std::map<std::string, std::string> query;    // decoded; the last value wins
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

// Splits a request target ("/replica?lag=16MB") into its %-decoded path and
// query parameters. "+" in the query means a space. A malformed escape ("%zz")
// is kept literally rather than rejected: routes then fail to match (404).
std::pair<std::string, std::map<std::string, std::string>> parse_target(std::string_view target);

// "/replica?lag=16MB": the target for a request, %-encoding what needs it
// (the inverse of parse_target).
std::string build_target(const std::string& path, const std::map<std::string, std::string>& query);

// The reason phrase for a status code ("Service Unavailable"), for logs and bodies.
std::string_view status_text(int status);

}  // namespace pgha
