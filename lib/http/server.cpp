#include "http/asio_compat.hpp"

#include "http/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <list>
#include <optional>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "http/listen_address.hpp"

namespace pgha {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
class Connection;
}

namespace detail {

struct HttpServerState {
    HttpServerState(asio::io_context& io, const Router& router, HttpServer::Limits limits)
        : router(router), limits(limits), acceptor(io), retry_timer(io) {}

    const Router& router;
    const HttpServer::Limits limits;
    tcp::acceptor acceptor;
    asio::steady_timer retry_timer;  // backs off after accept errors such as EMFILE
    bool stopped = false;
    std::size_t serving = 0;   // connections counted against max_connections
    std::size_t refusing = 0;  // connections being answered 503
    std::list<Connection*> connections;  // every live connection, for stop() and eviction
    // Evictions since the last log line (logged at most every 10 s, not per connection).
    std::size_t evicted = 0;
    std::chrono::steady_clock::time_point last_eviction_log{};
};

}  // namespace detail

namespace {

using State = detail::HttpServerState;

// Beast 1.74 speaks boost::string_view.
std::string text(beast::string_view view) { return std::string(view.data(), view.size()); }

HttpRequest to_request(const http::request<http::string_body>& message) {
    HttpRequest request;
    request.method = text(message.method_string());
    std::tie(request.path, request.query) = parse_target(text(message.target()));
    for (const auto& field : message) {
        std::string name = text(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto& value = request.headers[name];
        value += value.empty() ? text(field.value()) : ", " + text(field.value());
    }
    request.body = message.body();
    return request;
}

HttpResponse text_response(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body) + "\n";
    return response;
}

// Which bad input earns an answer before the connection closes; anything else
// (end of stream, timeout, reset) just closes it.
std::optional<HttpResponse> answer_to_read_error(const beast::error_code& ec) {
    if (ec == http::error::body_limit) return text_response(413, "request body too large");
    if (ec == http::error::header_limit) return text_response(431, "request header too large");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
    if (ec.category() == http::make_error_code(http::error::bad_method).category())
        return text_response(400, "malformed HTTP request");
    return std::nullopt;
}

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(tcp::socket socket, std::shared_ptr<State> state, bool refuse)
        : stream_(std::move(socket)), state_(std::move(state)), refuse_(refuse) {
        beast::error_code ec;
        peer_ = stream_.socket().remote_endpoint(ec).address();
        ++(refuse_ ? state_->refusing : state_->serving);
        position_ = state_->connections.insert(state_->connections.end(), this);
    }
    ~Connection() {
        release();
        state_->connections.erase(position_);
    }

    void read_request() {
        parser_.emplace();
        parser_->body_limit(state_->limits.max_body);
        parser_->header_limit(static_cast<std::uint32_t>(state_->limits.max_header));
        waiting_ = true;
        waiting_since_ = std::chrono::steady_clock::now();
        stream_.expires_after(state_->limits.header_timeout);
        http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_header(ec);
        });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.close();
    }

    // Still waiting for (part of) its request, so it may make room for a new connection.
    bool evictable() const { return waiting_ && !released_ && !refuse_; }
    const asio::ip::address& peer() const { return peer_; }
    std::chrono::steady_clock::time_point waiting_since() const { return waiting_since_; }

    // Closes at once with a reset (no TIME_WAIT left behind) and frees the slot
    // now; the object goes when its aborted read completes.
    void evict() {
        release();
        beast::error_code ignored;
        stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
        stream_.close();
    }

private:
    void release() {
        if (released_) return;
        released_ = true;
        --(refuse_ ? state_->refusing : state_->serving);
    }

    void on_header(beast::error_code ec) {
        if (state_->stopped || released_) return;
        if (ec || parser_->is_done()) return on_read(ec);
        stream_.expires_after(state_->limits.idle_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (state_->stopped || released_) return;
        waiting_ = false;
        if (ec) {
            if (auto answer = answer_to_read_error(ec)) return send(*answer, false, 11);
            return close();
        }
        const auto& message = parser_->get();
        if (refuse_) return send(text_response(503, "too many connections"), false, message.version());
        bool keep_alive = message.keep_alive();
        unsigned version = message.version();
        state_->router.dispatch_async(to_request(message), std::chrono::system_clock::now(),
                                      [self = shared_from_this(), keep_alive, version](HttpResponse response) {
                                          if (!self->state_->stopped) self->send(response, keep_alive, version);
                                      });
    }

    void send(const HttpResponse& answer, bool keep_alive, unsigned version) {
        response_.version(version);
        bool valid = answer.status >= 100 && answer.status <= 599;
        response_.result(valid ? static_cast<unsigned>(answer.status) : 500u);
        response_.set(http::field::server, "pghad");
        response_.set(http::field::content_type, answer.content_type);
        response_.set(http::field::cache_control, "no-store");
        response_.keep_alive(keep_alive);
        response_.body() = answer.body;
        response_.prepare_payload();
        stream_.expires_after(state_->limits.idle_timeout);
        http::async_write(stream_, response_,
                          [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                              if (ec || !keep_alive || self->state_->stopped) return self->close();
                              self->response_ = {};
                              self->read_request();
                          });
    }

    beast::tcp_stream stream_;
    std::shared_ptr<State> state_;
    bool refuse_;
    std::list<Connection*>::iterator position_;
    asio::ip::address peer_;
    bool waiting_ = false;   // between read_request() and a whole request (or an error)
    bool released_ = false;  // its slot is free again (evicted, or gone)
    std::chrono::steady_clock::time_point waiting_since_{};
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> response_;
};

// The connection to drop for a newcomer: among those still waiting for their
// request, the longest-waiting one of the address that has the most of them.
// nullptr when every connection is busy with a request. O(n^2) over at most
// max_connections entries, only when the table is full.
Connection* eviction_candidate(const State& state) {
    Connection* chosen = nullptr;
    std::size_t chosen_count = 0;
    for (Connection* c : state.connections) {
        if (!c->evictable()) continue;
        std::size_t same = 0;
        for (Connection* other : state.connections)
            if (other->evictable() && other->peer() == c->peer()) ++same;
        if (!chosen || same > chosen_count || (same == chosen_count && c->waiting_since() < chosen->waiting_since())) {
            chosen = c;
            chosen_count = same;
        }
    }
    return chosen;
}

void note_eviction(State& state, const Connection& evicted) {
    ++state.evicted;
    auto now = std::chrono::steady_clock::now();
    if (now - state.last_eviction_log < std::chrono::seconds(10)) return;
    log::warning("HTTP server: all {} connection slots in use; closed {} connection(s) still waiting for a request, "
                 "to make room (the latest from {}; said at most every 10 s)",
                 state.limits.max_connections, state.evicted, evicted.peer().to_string());
    state.evicted = 0;
    state.last_eviction_log = now;
}

void admit(const std::shared_ptr<State>& state, tcp::socket socket) {
    bool full = state->serving >= state->limits.max_connections;
    if (full) {
        if (Connection* victim = eviction_candidate(*state)) {
            note_eviction(*state, *victim);
            victim->evict();
            full = false;
        }
    }
    // Refusals are bounded too: past twice the limit, close without a word.
    if (full && state->refusing >= state->limits.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
        return;
    }
    std::make_shared<Connection>(std::move(socket), state, full)->read_request();
}

void accept_next(const std::shared_ptr<State>& state) {
    state->acceptor.async_accept([state](beast::error_code ec, tcp::socket socket) {
        if (state->stopped || ec == asio::error::operation_aborted) return;
        if (!ec) {
            admit(state, std::move(socket));
            return accept_next(state);
        }
        log::warning("HTTP server: cannot accept a connection: {}; retrying", ec.message());
        state->retry_timer.expires_after(std::chrono::milliseconds(100));
        state->retry_timer.async_wait([state](beast::error_code wait_error) {
            if (!wait_error && !state->stopped) accept_next(state);
        });
    });
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const std::string& listen, const Router& router, Limits limits)
    : listen_(listen), state_(std::make_shared<State>(io, router, limits)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    auto address = parse_listen_address(listen_);
    if (!address)
        throw usage_error(fmt::format("[daemon] listen = \"{}\" is not an IPv4 host:port", listen_),
                          "write it like \"127.0.0.1:8008\"");
    tcp::endpoint endpoint(asio::ip::make_address_v4(address->host), address->port);
    auto& acceptor = state_->acceptor;
    beast::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        beast::error_code ignored;
        acceptor.close(ignored);
        throw Error(ExitCode::usage, fmt::format("cannot listen on {}: {}", listen_, ec.message()), {},
                    "check [daemon] listen; is another pghad or another program using that address?");
    }
    state_->stopped = false;
    accept_next(state_);
}

void HttpServer::stop() {
    if (state_->stopped) return;
    state_->stopped = true;
    beast::error_code ignored;
    state_->acceptor.close(ignored);
    state_->retry_timer.cancel();
    for (Connection* connection : state_->connections) connection->close();
}

unsigned short HttpServer::port() const {
    beast::error_code ec;
    return state_->acceptor.local_endpoint(ec).port();
}

}  // namespace pgha
