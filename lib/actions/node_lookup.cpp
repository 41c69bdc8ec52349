#include "actions/node_lookup.hpp"

#include "pg/conninfo.hpp"

namespace pgha {

std::optional<std::string> node_name_at(const std::vector<NodeRecord>& records, const std::string& host,
                                        const std::string& port) {
    for (const auto& record : records) {
        auto record_host = pg::conninfo_value(record.conninfo, "host");
        auto record_port = pg::conninfo_value(record.conninfo, "port").value_or("5432");
        if (record_host && *record_host == host && record_port == port) return record.node_name;
    }
    return std::nullopt;
}

}  // namespace pgha
