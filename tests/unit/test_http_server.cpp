// The HTTP server and client over real loopback sockets.
#include "http/asio_compat.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "core/error.hpp"
#include "http/client.hpp"
#include "http/health.hpp"
#include "http/server.hpp"

using namespace pgha;
using namespace std::chrono_literals;

namespace {

const std::string secret = "s3cret";

// A server on an ephemeral loopback port, its loop on a thread of its own.
class RunningServer {
public:
    explicit RunningServer(HttpServer::Limits limits = {}) : router_(secret), server_(io_, "127.0.0.1:0", router_, limits) {
        DaemonStatus status;
        status.node_name = "node1";
        status.role = "primary";
        status.postgres_up = status.writable = true;
        add_health_routes(router_, [status] { return status; });
        router_.add("POST", "/peer/echo", [](const HttpRequest& r) {
            HttpResponse response;
            response.body = r.body;
            return response;
        }, Access::peer);
        server_.start();
        loop_ = std::async(std::launch::async, [this] { io_.run(); });
    }
    ~RunningServer() {
        boost::asio::post(io_, [this] { server_.stop(); });
        // stop() must let the loop run dry: every connection closes.
        bool finished = loop_.wait_for(5s) == std::future_status::ready;
        if (!finished) io_.stop();
        CHECK(finished);
    }
    unsigned short port() const { return server_.port(); }

private:
    boost::asio::io_context io_;
    Router router_;
    HttpServer server_;
    std::future<void> loop_;
};

std::optional<HttpResponse> call(unsigned short port, HttpRequest request, std::string& error) {
    return http_request_sync("127.0.0.1", port, std::move(request), 2s, error);
}

HttpRequest get(std::string path) {
    HttpRequest request;
    request.method = "GET";
    request.path = std::move(path);
    return request;
}

void require_health(unsigned short port) {
    std::string error;
    auto response = call(port, get("/health"), error);
    INFO(error);
    REQUIRE(response);
    CHECK(response->status == 200);
}

// A plain blocking socket, so the test controls every byte sent.
class RawSocket {
public:
    // `source`: the local address to connect from (any 127.x.y.z works on loopback).
    explicit RawSocket(unsigned short port, const char* source = nullptr) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        if (source) {
            sockaddr_in local{};
            local.sin_family = AF_INET;
            ::inet_pton(AF_INET, source, &local.sin_addr);
            ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
        }
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        timeval timeout{3, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }
    ~RawSocket() { ::close(fd_); }
    RawSocket(const RawSocket&) = delete;
    RawSocket& operator=(const RawSocket&) = delete;

    bool connected() const { return connected_; }
    void send(const std::string& bytes) { CHECK(try_send(bytes)); }
    // False once the server has closed the connection.
    bool try_send(const std::string& bytes) { return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) > 0; }
    // Everything until the server closes (or 3 s pass).
    std::string read_all() {
        std::string out;
        char buffer[4096];
        for (ssize_t n; (n = ::recv(fd_, buffer, sizeof buffer, 0)) > 0;) out.append(buffer, n);
        return out;
    }

private:
    int fd_;
    bool connected_ = false;
};

std::size_t count(const std::string& text, const std::string& word) {
    std::size_t n = 0;
    for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("the server answers health checks and signed peer requests over loopback", "[http]") {
    RunningServer server;
    REQUIRE(server.port() != 0);
    std::string error;

    auto response = call(server.port(), get("/health"), error);
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "PostgreSQL is up (primary)\n");
    CHECK(response->content_type == "text/plain; charset=utf-8");

    auto replica = get("/replica");
    replica.query["lag"] = "16MB";
    response = call(server.port(), replica, error);
    REQUIRE(response);
    CHECK(response->status == 503);

    auto head = get("/primary");
    head.method = "HEAD";
    response = call(server.port(), head, error);
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body.empty());

    response = call(server.port(), signed_request("POST", "/peer/echo", "{\"term\":5}", secret,
                                                  std::chrono::system_clock::now()), error);
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "{\"term\":5}");

    auto unsigned_post = get("/peer/echo");
    unsigned_post.method = "POST";
    unsigned_post.body = "{\"term\":5}";
    response = call(server.port(), unsigned_post, error);
    REQUIRE(response);
    CHECK(response->status == 401);

    response = call(server.port(), get("/nowhere"), error);
    REQUIRE(response);
    CHECK(response->status == 404);
}

TEST_CASE("a keep-alive connection serves several requests", "[http]") {
    RunningServer server;
    RawSocket socket(server.port());
    REQUIRE(socket.connected());
    socket.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /primary HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto answer = socket.read_all();
    CHECK(count(answer, "HTTP/1.1 200 OK") == 2);
}

TEST_CASE("oversized and malformed requests are refused without harming the server", "[http]") {
    RunningServer server;
    std::string error;

    auto big = signed_request("POST", "/peer/echo", std::string(1 << 20, 'x'), secret,
                              std::chrono::system_clock::now());
    auto response = call(server.port(), big, error);
    INFO(error);
    if (response) CHECK(response->status == 413);  // or the connection was closed mid-body
    require_health(server.port());

    {
        RawSocket socket(server.port());
        REQUIRE(socket.connected());
        socket.send(std::string("\x00\xff GARBAGE\r\n\r\n", 15));
        auto answer = socket.read_all();
        INFO(answer);
        CHECK((answer.empty() || answer.rfind("HTTP/1.1 400", 0) == 0));
    }
    require_health(server.port());

    {
        RawSocket socket(server.port());
        socket.send("GET /health HTTP/1.1\r\nX-Big: " + std::string(16 * 1024, 'a') + "\r\n\r\n");
        auto answer = socket.read_all();
        CHECK((answer.empty() || answer.rfind("HTTP/1.1 431", 0) == 0));
    }
    require_health(server.port());
}

TEST_CASE("idle connections are bounded in number and in time", "[http]") {
    HttpServer::Limits limits;
    limits.max_connections = 64;
    limits.header_timeout = 300ms;
    limits.idle_timeout = 300ms;
    RunningServer server(limits);

    std::vector<std::unique_ptr<RawSocket>> idle;
    for (int i = 0; i < 100; ++i) {
        idle.push_back(std::make_unique<RawSocket>(server.port()));
        REQUIRE(idle.back()->connected());
    }
    // While they are held, a new client takes the place of one that never asked anything.
    std::string error;
    auto response = call(server.port(), get("/health"), error);
    INFO(error);
    REQUIRE(response);
    CHECK(response->status == 200);

    // The server closes every idle one within the timeout...
    for (auto& socket : idle) CHECK(socket->read_all().empty());
    // ...and serves normally afterwards.
    require_health(server.port());
}

TEST_CASE("the server names the address it cannot listen on", "[http]") {
    boost::asio::io_context io;
    Router router;
    HttpServer first(io, "127.0.0.1:0", router);
    first.start();
    std::string taken = "127.0.0.1:" + std::to_string(first.port());
    HttpServer second(io, taken, router);
    try {
        second.start();
        FAIL("a second server bound " << taken);
    } catch (const Error& error) {
        CHECK(error.code() == ExitCode::usage);
        CHECK_THAT(error.what(), Catch::Contains(taken));
    }
    HttpServer malformed(io, "localhost:80", router);
    CHECK_THROWS_WITH(malformed.start(), Catch::Contains("localhost:80"));
}

TEST_CASE("the client reports refused connections and timeouts naming the address", "[http]") {
    std::string error;
    // A port nobody listens on: bind one, then close it.
    unsigned short port = 0;
    {
        boost::asio::io_context io;
        Router router;
        HttpServer probe(io, "127.0.0.1:0", router);
        probe.start();
        port = probe.port();
    }
    CHECK_FALSE(http_request_sync("127.0.0.1", port, get("/health"), 1s, error));
    CHECK_THAT(error, Catch::Contains("cannot connect to 127.0.0.1:" + std::to_string(port)));

    // A listener whose loop never runs accepts in the kernel but never answers.
    boost::asio::io_context stalled;
    Router router;
    HttpServer silent(stalled, "127.0.0.1:0", router);
    silent.start();
    auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(http_request_sync("127.0.0.1", silent.port(), get("/health"), 200ms, error));
    CHECK(std::chrono::steady_clock::now() - started < 2s);
    CHECK_THAT(error, Catch::Contains("no answer from 127.0.0.1:") && Catch::Contains("within 200ms"));
}

TEST_CASE("300 trickling connections cannot crowd out health checks and peer requests", "[http][flood]") {
    RunningServer server;  // the daemon's limits: 64 slots, 2 s for a header
    std::vector<std::unique_ptr<RawSocket>> slow;
    for (int i = 0; i < 300; ++i) {
        slow.push_back(std::make_unique<RawSocket>(server.port()));
        REQUIRE(slow.back()->connected());
        slow.back()->send("GET / HTTP/1.1\r\nX-a: ");
    }
    auto longest = 0ms;
    int answered = 0;
    auto until = std::chrono::steady_clock::now() + 3s;  // past the header deadline
    while (std::chrono::steady_clock::now() < until) {
        for (auto& socket : slow)
            if (!socket->try_send("a")) {  // closed by the server: reconnect, as a flood would
                socket = std::make_unique<RawSocket>(server.port());
                socket->try_send("GET / HTTP/1.1\r\nX-a: ");
            }
        for (int peer = 0; peer < 2; ++peer) {
            auto started = std::chrono::steady_clock::now();
            std::string error;
            auto response = peer ? call(server.port(), signed_request("POST", "/peer/echo", "{}", secret,
                                                                      std::chrono::system_clock::now()), error)
                                 : call(server.port(), get("/health"), error);
            auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
            INFO(error);
            REQUIRE(response);
            CHECK(response->status == 200);
            longest = std::max(longest, took);
            ++answered;
        }
        std::this_thread::sleep_for(100ms);
    }
    INFO("longest answer " << longest.count() << " ms");
    CHECK(answered >= 10);
    CHECK(longest < 2s);
}

TEST_CASE("a request header must arrive whole within the header deadline; the body may take longer", "[http][flood]") {
    HttpServer::Limits limits;
    limits.header_timeout = 300ms;
    limits.idle_timeout = 2s;
    RunningServer server(limits);
    {
        RawSocket socket(server.port());
        auto started = std::chrono::steady_clock::now();
        socket.send("GET /health HTTP/1.1\r\nX-a: ");
        for (int i = 0; i < 4; ++i) {  // a byte every 50 ms: never idle, never done
            std::this_thread::sleep_for(50ms);
            socket.send("a");
        }
        CHECK(socket.read_all().empty());  // closed without an answer...
        auto took = std::chrono::steady_clock::now() - started;
        CHECK(took >= 250ms);  // ...at the deadline, not before
        CHECK(took < 1500ms);
    }
    {
        RawSocket socket(server.port());
        socket.send("POST /peer/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
        std::this_thread::sleep_for(600ms);
        socket.send("{}");
        CHECK(socket.read_all().rfind("HTTP/1.1 401", 0) == 0);  // served (unsigned, so 401), not dropped
    }
}

TEST_CASE("when the table is full, the address holding the most unfinished connections loses one", "[http][flood]") {
    HttpServer::Limits limits;
    limits.max_connections = 8;
    RunningServer server(limits);
    std::vector<std::unique_ptr<RawSocket>> flood;
    for (int i = 0; i < 7; ++i) flood.push_back(std::make_unique<RawSocket>(server.port(), "127.0.0.1"));
    RawSocket checker(server.port(), "127.0.0.2");  // newer than 7 of them, from another address
    REQUIRE(checker.connected());
    std::this_thread::sleep_for(50ms);
    for (int i = 0; i < 20; ++i) flood.push_back(std::make_unique<RawSocket>(server.port(), "127.0.0.1"));
    std::this_thread::sleep_for(100ms);
    checker.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(checker.read_all().rfind("HTTP/1.1 200", 0) == 0);
    // The oldest from the flooding address were the ones closed.
    CHECK(flood.front()->read_all().empty());
}
