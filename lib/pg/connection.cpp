#include "pg/connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <poll.h>

#include <cerrno>
#include <cstdlib>

#include "pg/conninfo.hpp"

namespace pgha::pg {
namespace {

std::string trimmed(const char* text) {
    std::string out = text ? text : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

}  // namespace

void Result::Deleter::operator()(pg_result* result) const { PQclear(result); }
Result::Result(pg_result* result) : result_(result) {}
int Result::rows() const { return PQntuples(result_.get()); }
int Result::columns() const { return PQnfields(result_.get()); }
bool Result::is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column); }
std::string Result::value(int row, int column) const { return PQgetvalue(result_.get(), row, column); }

std::optional<std::string> Result::optional(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return value(row, column);
}

std::optional<std::int64_t> Result::integer(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return std::strtoll(PQgetvalue(result_.get(), row, column), nullptr, 10);
}

bool Result::boolean(int row, int column) const {
    return !is_null(row, column) && value(row, column) == "t";
}

int Result::column(const std::string& name) const {
    int index = PQfnumber(result_.get(), name.c_str());
    if (index < 0) throw Error(ExitCode::partial, fmt::format("internal error: result has no column \"{}\"", name));
    return index;
}

void Connection::Deleter::operator()(pg_conn* connection) const { PQfinish(connection); }

Connection::Connection(pg_conn* connection, std::string label)
    : connection_(connection), label_(std::move(label)) {}

Connection Connection::open(const std::string& conninfo, const ConnectOptions& options) {
    if (auto problem = conninfo_problem(conninfo))
        throw Error(ExitCode::usage, "invalid connection string", *problem,
                    "use the libpq form \"host=... port=... user=... dbname=...\"");
    // Keywords listed before "dbname" act as defaults: the expanded conninfo overrides them.
    auto timeout = std::to_string(options.default_timeout.count());
    std::vector<const char*> keys{"connect_timeout", "fallback_application_name", "dbname"};
    std::vector<const char*> values{timeout.c_str(), "pgha", conninfo.c_str()};
    if (options.replication) {
        keys.push_back("replication");
        values.push_back("true");
    }
    // After "dbname", so they override the conninfo: with a deadline, a
    // dead link fails a statement after it too.
    std::string user_timeout, keepalive_seconds;
    if (options.deadline) {
        user_timeout = std::to_string(std::max<long>(1, options.deadline->count()));
        keepalive_seconds = std::to_string(std::max<long>(1, options.deadline->count() / 1000));
        const std::pair<const char*, const char*> bounded[] = {
            {"tcp_user_timeout", user_timeout.c_str()}, {"keepalives", "1"},
            {"keepalives_idle", keepalive_seconds.c_str()}, {"keepalives_interval", keepalive_seconds.c_str()},
            {"keepalives_count", "2"}};
        for (auto [key, value] : bounded) {
            keys.push_back(key);
            values.push_back(value);
        }
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    auto label = conninfo_label(conninfo);
    auto connection = options.deadline ? connect_within(keys.data(), values.data(), *options.deadline, label)
                                       : std::unique_ptr<pg_conn, Deleter>(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!connection) throw ConnectError(ExitCode::connect, "out of memory while connecting to " + label);
    if (PQstatus(connection.get()) != CONNECTION_OK)
        throw ConnectError(ExitCode::connect, fmt::format("cannot connect to {}", label),
                           trimmed(PQerrorMessage(connection.get())),
                           "check that the server is running and accepts connections from this host "
                           "(listen_addresses, pg_hba.conf, ~/.pgpass)");
    return Connection(connection.release(), label);
}

// libpq's non-blocking connect, driven by poll() until `deadline` (libpq
// leaves the timeout of PQconnectPoll to its caller).
std::unique_ptr<pg_conn, Connection::Deleter> Connection::connect_within(const char* const* keys,
                                                                         const char* const* values,
                                                                         std::chrono::milliseconds deadline,
                                                                         const std::string& label) {
    using Clock = std::chrono::steady_clock;
    std::unique_ptr<pg_conn, Deleter> connection(PQconnectStartParams(keys, values, 1));
    if (!connection || PQstatus(connection.get()) == CONNECTION_BAD) return connection;
    auto until = Clock::now() + deadline;
    auto polling = PGRES_POLLING_WRITING;  // as libpq says to behave before the first PQconnectPoll
    while (polling != PGRES_POLLING_OK && polling != PGRES_POLLING_FAILED) {
        // Rounded up: poll() would otherwise give up a fraction of a millisecond early.
        auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
        pollfd waiting{PQsocket(connection.get()), short(polling == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
        int ready = left > 0 ? ::poll(&waiting, 1, int(left)) : 0;
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0)
            throw ConnectError(ExitCode::connect, fmt::format("cannot connect to {}", label),
                               fmt::format("no answer within {} ms", deadline.count()),
                               "check that the server is running and the network between the nodes");
        polling = PQconnectPoll(connection.get());
    }
    return connection;
}

int Connection::socket() const { return PQsocket(connection_.get()); }

bool Connection::consume_input() const {
    return PQconsumeInput(connection_.get()) == 1 && PQstatus(connection_.get()) == CONNECTION_OK;
}

Result Connection::check(pg_result* raw, const std::string& what) const {
    Result result(raw);
    auto status = PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    if (PQstatus(connection_.get()) != CONNECTION_OK)
        throw ConnectError(ExitCode::connect, fmt::format("lost the connection to {}", label_),
                           trimmed(PQerrorMessage(connection_.get())));
    const char* sqlstate = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    throw QueryError(fmt::format("{} failed on {}", what, label_),
                     trimmed(raw ? PQresultErrorMessage(raw) : PQerrorMessage(connection_.get())),
                     sqlstate ? sqlstate : "");
}

Result Connection::exec(const std::string& sql, const Params& parameters) const {
    std::vector<const char*> values;
    values.reserve(parameters.size());
    for (const auto& p : parameters) values.push_back(p ? p->c_str() : nullptr);
    auto* raw = PQexecParams(connection_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
    return check(raw, "query");
}

Result Connection::exec_command(const std::string& command) const {
    return check(PQexec(connection_.get(), command.c_str()), command);
}

int Connection::server_version() const { return PQserverVersion(connection_.get()); }

}  // namespace pgha::pg
