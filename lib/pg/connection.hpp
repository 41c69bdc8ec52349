#pragma once
// RAII ownership of libpq connections and results. libpq's header stays in
// pg/*.cpp; callers see only these types. Every query is parameterized.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.hpp"

struct pg_conn;
struct pg_result;

namespace pgha::pg {

using Param = std::optional<std::string>;
using Params = std::vector<Param>;

inline Param param(const std::string& value) { return value; }
inline Param param(const char* value) { return std::string(value); }
inline Param param(std::nullopt_t) { return std::nullopt; }
inline Param param(bool value) { return std::string(value ? "true" : "false"); }
template <typename T>
    requires std::is_integral_v<T>
Param param(T value) { return std::to_string(value); }
template <typename T>
Param param(const std::optional<T>& value) { return value ? param(*value) : std::nullopt; }

template <typename... Args>
Params params(const Args&... args) { return Params{param(args)...}; }

class Result {
public:
    explicit Result(pg_result* result);
    int rows() const;
    int columns() const;
    bool is_null(int row, int column) const;
    std::string value(int row, int column) const;  // "" when NULL
    std::optional<std::string> optional(int row, int column) const;
    std::optional<std::int64_t> integer(int row, int column) const;
    bool boolean(int row, int column) const;  // false when NULL
    int column(const std::string& name) const;  // throws when missing

private:
    struct Deleter {
        void operator()(pg_result* result) const;
    };
    std::unique_ptr<pg_result, Deleter> result_;
};

// Thrown when a connection cannot be made (ExitCode::connect).
class ConnectError : public Error {
public:
    using Error::Error;
};

// A statement failed; PostgreSQL rolled it back, so nothing changed (ExitCode::refused).
class QueryError : public Error {
public:
    QueryError(std::string message, std::string detail, std::string sqlstate)
        : Error(ExitCode::refused, std::move(message), std::move(detail)), sqlstate_(std::move(sqlstate)) {}
    const std::string& sqlstate() const { return sqlstate_; }

private:
    std::string sqlstate_;
};

struct ConnectOptions {
    // Used when the conninfo sets no connect_timeout of its own.
    std::chrono::seconds default_timeout{5};
    bool replication = false;  // a physical replication (walsender) connection
    // pghad's monitoring: the whole connection attempt ends by then whatever
    // the conninfo's connect_timeout says (libpq's cannot go below 2 s), and
    // a statement on a link that went dead fails after it (tcp_user_timeout,
    // keepalives), so a black-holed server costs this, not TCP's minutes.
    std::optional<std::chrono::milliseconds> deadline;
};

class Connection {
public:
    // Throws ConnectError naming the host and port (never the password).
    static Connection open(const std::string& conninfo, const ConnectOptions& options = {});

    Result exec(const std::string& sql, const Params& parameters = {}) const;
    // For replication-protocol commands (IDENTIFY_SYSTEM), which take no parameters.
    Result exec_command(const std::string& command) const;

    void begin() const { exec("BEGIN"); }
    void commit() const { exec("COMMIT"); }

    int server_version() const;
    // For watching the connection from an event loop: its socket, and
    // whether it is still alive after reading what arrived (no query runs).
    int socket() const;
    bool consume_input() const;
    const std::string& label() const { return label_; }

private:
    struct Deleter {
        void operator()(pg_conn* connection) const;
    };
    Connection(pg_conn* connection, std::string label);
    static std::unique_ptr<pg_conn, Deleter> connect_within(const char* const* keys, const char* const* values,
                                                            std::chrono::milliseconds deadline,
                                                            const std::string& label);
    Result check(pg_result* result, const std::string& what) const;

    std::unique_ptr<pg_conn, Deleter> connection_;
    std::string label_;
};

}  // namespace pgha::pg
