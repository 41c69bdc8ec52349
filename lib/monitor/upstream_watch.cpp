#include "http/asio_compat.hpp"

#include "monitor/upstream_watch.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <optional>

#include "core/error.hpp"
#include "core/log.hpp"
#include "monitor/workers.hpp"
#include "pg/connection.hpp"

namespace pgha {
namespace asio = boost::asio;

struct UpstreamWatch::Impl : std::enable_shared_from_this<UpstreamWatch::Impl> {
    asio::io_context& io;
    Workers& workers;
    std::function<void()> lost;
    std::string conninfo;           // what is watched (or being connected)
    std::uint64_t generation = 0;   // bumped by every follow of another target and by drop
    std::optional<pg::Connection> connection;
    std::optional<asio::posix::stream_descriptor> socket;  // a dup of the connection's socket

    Impl(asio::io_context& io_, Workers& workers_, std::function<void()> lost_)
        : io(io_), workers(workers_), lost(std::move(lost_)) {}

    void close() {
        socket.reset();
        connection.reset();
    }

    void watch(std::uint64_t gen) {
        socket->async_wait(asio::posix::stream_descriptor::wait_read,
                           [self = shared_from_this(), gen](const boost::system::error_code& error) {
                               if (error || gen != self->generation || !self->connection) return;
                               if (self->connection->consume_input()) return self->watch(gen);
                               self->close();  // the core logs it (on_detected)
                               self->conninfo.clear();  // connect again after the next round that sees it
                               self->lost();
                           });
    }
};

UpstreamWatch::UpstreamWatch(asio::io_context& io, Workers& workers, std::function<void()> lost)
    : impl_(std::make_shared<Impl>(io, workers, std::move(lost))) {}

UpstreamWatch::~UpstreamWatch() { drop(); }

void UpstreamWatch::follow(const std::string& conninfo, std::chrono::milliseconds deadline) {
    auto& w = *impl_;
    if (conninfo == w.conninfo) return;  // watched, or being connected
    drop();
    w.conninfo = conninfo;
    auto gen = w.generation;
    auto opened = std::make_shared<std::optional<pg::Connection>>();
    w.workers.run(
        [conninfo, deadline, opened] {
            try {
                opened->emplace(pg::Connection::open(conninfo, {.deadline = deadline}));
            } catch (const Error&) {
            }
        },
        [self = impl_, gen, opened] {
            if (gen != self->generation) return;  // dropped or re-pointed meanwhile
            if (!*opened) {
                self->conninfo.clear();  // try again after the next round
                return;
            }
            int fd = ::dup((*opened)->socket());
            if (fd < 0) {
                self->conninfo.clear();
                return;
            }
            self->connection = std::move(*opened);
            self->socket.emplace(self->io, fd);
            self->watch(gen);
        });
}

void UpstreamWatch::drop() {
    auto& w = *impl_;
    ++w.generation;
    w.conninfo.clear();
    w.close();
}

}  // namespace pgha
