#include "http/router.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "http/auth.hpp"

namespace pgha {
namespace {

HttpResponse text_response(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body) + "\n";
    return response;
}

// HAProxy's `option httpchk` may probe with OPTIONS; HEAD is plain HTTP courtesy.
bool answered_like_get(const std::string& method) { return method == "HEAD" || method == "OPTIONS"; }

}  // namespace

Router::Router(std::string secret, std::chrono::milliseconds max_skew)
    : secret_(std::move(secret)), max_skew_(max_skew) {}

void Router::add(std::string method, std::string path, HttpHandler handler, Access access) {
    routes_.push_back({std::move(method), std::move(path), std::move(handler), {}, access});
}

void Router::add_async(std::string method, std::string path, AsyncHandler handler, Access access) {
    routes_.push_back({std::move(method), std::move(path), {}, std::move(handler), access});
}

void Router::dispatch_async(const HttpRequest& request, std::chrono::system_clock::time_point now,
                            Respond respond) const {
    const Route* route = find(request.method, request.path);
    if (!route || !route->async) return respond(dispatch(request, now));
    if (auto refusal = refuse_unauthenticated(*route, request, now)) return respond(*refusal);
    try {
        route->async(request, respond);
    } catch (const BadRequest& error) {  // thrown before it answered: the input was invalid
        respond(text_response(400, error.what()));
    } catch (const std::exception& error) {
        log::warning("HTTP handler for {} {} failed: {}", request.method, request.path, error.what());
        respond(text_response(500, "internal error; see the pghad log"));
    }
}

std::optional<HttpResponse> Router::refuse_unauthenticated(const Route& route, const HttpRequest& request,
                                                           std::chrono::system_clock::time_point now) const {
    if (route.access != Access::peer) return std::nullopt;
    AuthResult auth = verify(request, secret_, now, max_skew_);
    if (!auth) return text_response(auth.status(), auth.reason);  // 401; 409 a replay; 503 a full nonce cache
    return std::nullopt;
}

const Router::Route* Router::find(const std::string& method, const std::string& path) const {
    for (const auto& route : routes_)
        if (route.method == method && route.path == path) return &route;
    return nullptr;
}

HttpResponse Router::dispatch(const HttpRequest& request, std::chrono::system_clock::time_point now) const {
    if (const Route* route = find(request.method, request.path)) return run(*route, request, now);

    if (answered_like_get(request.method)) {
        const Route* get = find("GET", request.path);
        if (get && get->access == Access::open) {
            HttpResponse response = run(*get, request, now);
            if (request.method == "HEAD") response.body.clear();
            return response;
        }
    }

    std::vector<std::string> allowed;
    for (const auto& route : routes_)
        if (route.path == request.path) allowed.push_back(route.method);
    if (allowed.empty()) return text_response(404, fmt::format("no such endpoint: {}", request.path));
    return text_response(405, fmt::format("{} is not allowed on {} (allowed: {})", request.method,
                                          request.path, fmt::join(allowed, ", ")));
}

HttpResponse Router::run(const Route& route, const HttpRequest& request,
                         std::chrono::system_clock::time_point now) const {
    if (auto refusal = refuse_unauthenticated(route, request, now)) return *refusal;
    if (!route.handler) return text_response(500, "this endpoint answers asynchronously only");
    try {
        return route.handler(request);
    } catch (const BadRequest& error) {
        return text_response(400, error.what());
    } catch (const std::exception& error) {
        // The detail goes to the log, not to whoever sent the request.
        log::warning("HTTP handler for {} {} failed: {}", request.method, request.path, error.what());
        return text_response(500, "internal error; see the pghad log");
    } catch (...) {
        log::warning("HTTP handler for {} {} failed with an unknown exception", request.method, request.path);
        return text_response(500, "internal error; see the pghad log");
    }
}

}  // namespace pgha
