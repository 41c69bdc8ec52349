#include "catalog/monitoring.hpp"

namespace pgha::catalog {

std::int64_t count_history_older_than(const pg::Connection& connection, int days) {
    auto result = connection.exec(
        "SELECT count(*) FROM pgha.monitoring_history WHERE sampled_at < now() - make_interval(days => $1)",
        pg::params(days));
    return result.integer(0, 0).value_or(0);
}

std::int64_t delete_history_older_than(const pg::Connection& connection, int days) {
    auto result = connection.exec(
        "WITH deleted AS (DELETE FROM pgha.monitoring_history "
        "WHERE sampled_at < now() - make_interval(days => $1) RETURNING 1) SELECT count(*) FROM deleted",
        pg::params(days));
    return result.integer(0, 0).value_or(0);
}

}  // namespace pgha::catalog
