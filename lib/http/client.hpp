#pragma once
// Requests to another node's pghad (peer protocol) or to this one (CLI):
// asynchronous on the daemon's io_context, or blocking for the CLI. One
// deadline covers resolving, connecting, sending and receiving.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "http/auth.hpp"  // signed_request()
#include "http/message.hpp"  // build_target()

namespace boost::asio {
class io_context;
}

namespace pgha {

// Called exactly once, on the io_context: a response (any status), or nullopt
// and an error naming host:port ("no answer from 10.0.0.2:8008 within 2s").
using HttpDone = std::function<void(std::optional<HttpResponse> response, std::string error)>;

// Sends `request` (path and query are encoded here) with Connection: close.
void http_request(boost::asio::io_context& io, const std::string& host, unsigned short port,
                  HttpRequest request, std::chrono::milliseconds timeout, HttpDone done);

// The same on a private io_context, blocking the caller until done or timed out.
std::optional<HttpResponse> http_request_sync(const std::string& host, unsigned short port,
                                              HttpRequest request, std::chrono::milliseconds timeout,
                                              std::string& error);

}  // namespace pgha
