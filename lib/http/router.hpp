#pragma once
// Maps (method, path) to a handler. Pure: no sockets, the time comes from the
// caller, so every answer the daemon can give is testable without a server.
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "http/message.hpp"

namespace pgha {

// Thrown by a handler whose input is invalid: the client gets 400 and the message.
class BadRequest : public std::runtime_error {
public:
    explicit BadRequest(const std::string& message) : std::runtime_error(message) {}
};

enum class Access {
    open,  // health checks, status, metrics: anyone who can reach the port
    peer,  // daemon-to-daemon: requires a valid signature (http/auth.hpp)
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// A handler whose answer comes later (it waits for a worker): it calls
// `respond` exactly once, on the loop thread.
using Respond = std::function<void(HttpResponse)>;
using AsyncHandler = std::function<void(const HttpRequest&, Respond respond)>;

class Router {
public:
    // An empty secret keeps every peer route closed (401).
    explicit Router(std::string secret = {},
                    std::chrono::milliseconds max_skew = std::chrono::seconds(30));

    // REQUIRES: no route yet for the same method and path.
    void add(std::string method, std::string path, HttpHandler handler, Access access = Access::open);
    void add_async(std::string method, std::string path, AsyncHandler handler, Access access = Access::open);

    // For a SIGHUP reload of [daemon] secret_file.
    void set_secret(std::string secret) { secret_ = std::move(secret); }

    // 404 unknown path; 405 a method the path does not have (HEAD and OPTIONS
    // are answered like GET on open routes, HEAD without a body); 401 a peer
    // route without valid auth; 400 BadRequest; 500 any other exception.
    // Never throws.
    HttpResponse dispatch(const HttpRequest& request, std::chrono::system_clock::time_point now) const;
    // The same for every route, asynchronous ones included: `respond` is
    // called once, at once for a plain route.
    void dispatch_async(const HttpRequest& request, std::chrono::system_clock::time_point now,
                        Respond respond) const;

private:
    struct Route {
        std::string method;
        std::string path;
        HttpHandler handler;
        AsyncHandler async;  // set instead of handler for add_async routes
        Access access;
    };

    const Route* find(const std::string& method, const std::string& path) const;
    HttpResponse run(const Route& route, const HttpRequest& request,
                     std::chrono::system_clock::time_point now) const;
    std::optional<HttpResponse> refuse_unauthenticated(const Route& route, const HttpRequest& request,
                                                       std::chrono::system_clock::time_point now) const;

    std::vector<Route> routes_;
    std::string secret_;
    std::chrono::milliseconds max_skew_;
};

}  // namespace pgha
