#pragma once
// The daemon's HTTP server (Boost.Beast): single-threaded, asynchronous on the
// caller's io_context, every connection bounded in time and size, so a slow or
// hostile client can never stall the daemon loop. Requests go to a Router.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "http/router.hpp"

namespace boost::asio {
class io_context;
}

namespace pgha {

namespace detail {
struct HttpServerState;
}

class HttpServer {
public:
    // Flood defence: a connection that is still waiting for its request is
    // cheap to lose (its client never finished asking), one that has a request
    // is doing useful work. So when the table is full, a new connection takes
    // the place of the longest-waiting unfinished one of the address holding
    // the most unfinished ones (a flooding address loses its own first; on a
    // shared address, the oldest goes), and a request header must arrive whole
    // within header_timeout. Only when every slot is busy with a request is a
    // new connection answered 503.
    struct Limits {
        std::size_t max_connections = 64;  // see above; answered 503 when all are busy
        std::size_t max_body = 64 * 1024;  // larger bodies: 413 and close
        std::size_t max_header = 8 * 1024; // larger headers: 431 and close
        // The request header must be complete within this time of the
        // connection's accept (or of its previous answer), else it is closed.
        std::chrono::milliseconds header_timeout{2000};
        // The whole request, and the writing of the answer, within this time.
        std::chrono::milliseconds idle_timeout{5000};
    };

    // `listen` is "host:port" with an IPv4 host ("127.0.0.1:8008"); port 0
    // picks a free port (see port()). `router` must outlive the server.
    HttpServer(boost::asio::io_context& io, const std::string& listen, const Router& router, Limits limits);
    HttpServer(boost::asio::io_context& io, const std::string& listen, const Router& router)
        : HttpServer(io, listen, router, Limits{}) {}
    ~HttpServer();  // stops
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and starts accepting. Throws pgha::Error (usage) naming the address
    // when `listen` is malformed or cannot be bound.
    void start();
    // Closes the listening socket and every open connection. Idempotent.
    void stop();
    // The bound port; REQUIRES: start() returned.
    unsigned short port() const;

private:
    std::string listen_;
    // Shared with the connections, whose handlers may still be queued after the server is gone.
    std::shared_ptr<detail::HttpServerState> state_;
};

}  // namespace pgha
