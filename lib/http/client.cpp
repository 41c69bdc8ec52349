#include "http/asio_compat.hpp"

#include "http/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

#include "core/units.hpp"

namespace pgha {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Answers bigger than this are not something a pghad sends.
constexpr std::uint64_t max_response_body = 8 * 1024 * 1024;

// One request in flight; owns everything its handlers touch.
class Exchange : public std::enable_shared_from_this<Exchange> {
public:
    Exchange(asio::io_context& io, std::string host, unsigned short port, HttpRequest request,
             std::chrono::milliseconds timeout, HttpDone done)
        : resolver_(io), socket_(io), deadline_(io), host_(std::move(host)), port_(port),
          timeout_(timeout), done_(std::move(done)) {
        message_.method_string(request.method);
        message_.target(build_target(request.path, request.query));
        message_.version(11);
        message_.set(http::field::host, fmt::format("{}:{}", host_, port_));
        message_.set(http::field::user_agent, "pgha");
        for (const auto& [name, value] : request.headers) message_.set(name, value);
        message_.keep_alive(false);
        message_.body() = std::move(request.body);
        message_.prepare_payload();
        parser_.body_limit(max_response_body);
        parser_.skip(request.method == "HEAD");  // a HEAD answer announces a body it does not send
    }

    void start() {
        deadline_.expires_after(timeout_);
        deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec) return;  // cancelled: finished in time
            self->finish(std::nullopt, fmt::format("no answer from {}:{} within {}", self->host_, self->port_,
                                                   format_duration(self->timeout_)));
            self->resolver_.cancel();
            beast::error_code ignored;
            self->socket_.close(ignored);
        });
        beast::error_code ec;
        auto address = asio::ip::make_address(host_, ec);
        if (!ec) return connect({tcp::endpoint(address, port_)});  // no resolver thread for literal addresses
        resolver_.async_resolve(host_, std::to_string(port_),
                                [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type found) {
                                    if (ec) return self->fail("cannot resolve", ec);
                                    self->connect(std::vector<tcp::endpoint>(found.begin(), found.end()));
                                });
    }

private:
    void connect(std::vector<tcp::endpoint> endpoints) {
        asio::async_connect(socket_, endpoints, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
            if (ec) return self->fail("cannot connect to", ec);
            http::async_write(self->socket_, self->message_, [self](beast::error_code ec, std::size_t) {
                // A server may answer before taking the whole body (413): read what it said.
                self->send_error_ = ec;
                self->read();
            });
        });
    }

    void read() {
        http::async_read(socket_, buffer_, parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec && self->send_error_) return self->fail("cannot send to", self->send_error_);
            if (ec) return self->fail("no valid answer from", ec);
            const auto& message = self->parser_.get();
            HttpResponse response;
            response.status = static_cast<int>(message.result_int());
            auto content_type = message[http::field::content_type];
            response.content_type.assign(content_type.data(), content_type.size());
            response.body = message.body();
            beast::error_code ignored;
            self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
            self->socket_.close(ignored);
            self->finish(std::move(response), {});
        });
    }

    void fail(const char* what, const beast::error_code& ec) {
        finish(std::nullopt, fmt::format("{} {}:{}: {}", what, host_, port_, ec.message()));
    }

    void finish(std::optional<HttpResponse> response, std::string error) {
        if (finished_) return;  // the deadline and a late completion can both get here
        finished_ = true;
        deadline_.cancel();
        auto done = std::move(done_);
        done(std::move(response), std::move(error));
    }

    tcp::resolver resolver_;
    tcp::socket socket_;
    asio::steady_timer deadline_;
    std::string host_;
    unsigned short port_;
    std::chrono::milliseconds timeout_;
    HttpDone done_;
    bool finished_ = false;
    beast::error_code send_error_;
    http::request<http::string_body> message_;
    beast::flat_buffer buffer_;
    http::response_parser<http::string_body> parser_;
};

}  // namespace

void http_request(asio::io_context& io, const std::string& host, unsigned short port, HttpRequest request,
                  std::chrono::milliseconds timeout, HttpDone done) {
    std::make_shared<Exchange>(io, host, port, std::move(request), timeout, std::move(done))->start();
}

std::optional<HttpResponse> http_request_sync(const std::string& host, unsigned short port, HttpRequest request,
                                              std::chrono::milliseconds timeout, std::string& error) {
    asio::io_context io;
    std::optional<HttpResponse> result;
    http_request(io, host, port, std::move(request), timeout,
                 [&](std::optional<HttpResponse> response, std::string message) {
                     result = std::move(response);
                     error = std::move(message);
                 });
    io.run();
    return result;
}

}  // namespace pgha
