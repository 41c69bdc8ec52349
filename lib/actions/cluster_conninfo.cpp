#include "actions/cluster_conninfo.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "actions/connect.hpp"
#include "catalog/nodes.hpp"
#include "catalog/schema.hpp"
#include "pg/conninfo.hpp"

namespace pgha {

std::optional<std::string> target_session_attrs_for(const std::string& role) {
    if (role == "primary") return "read-write";
    if (role == "standby") return "standby";
    if (role == "any") return "any";
    return std::nullopt;
}

std::string multi_host_conninfo(std::vector<NodeRecord> records, const std::string& role,
                                const std::optional<std::string>& connect_timeout) {
    auto attrs = target_session_attrs_for(role);
    if (!attrs) throw usage_error(fmt::format("unknown --role \"{}\"", role), "use --role primary, standby or any");
    std::erase_if(records, [](const NodeRecord& r) { return !r.active || r.type == "witness"; });
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
    if (records.empty())
        throw refused("no active primary or standby is registered", {},
                      "register the nodes first with \"pgha primary register\" and \"pgha standby register\"");
    std::string hosts, ports;
    for (const auto& record : records) {
        auto host = pg::conninfo_value(record.conninfo, "host");
        if (!host) host = pg::conninfo_value(record.conninfo, "hostaddr");
        if (!host)
            throw refused(fmt::format("the conninfo of node \"{}\" (ID {}) names no host", record.node_name,
                                      record.node_id),
                          {}, "re-register that node with host=... in its conninfo");
        hosts += (hosts.empty() ? "" : ",") + *host;
        ports += (ports.empty() ? "" : ",") + pg::conninfo_value(record.conninfo, "port").value_or("5432");
    }
    pg::ConninfoParams params{{"host", hosts}, {"port", ports}};
    params.emplace_back("target_session_attrs", *attrs);
    if (connect_timeout) params.emplace_back("connect_timeout", *connect_timeout);
    return pg::format_conninfo(params);
}

std::string cluster_conninfo(const Config& config, const GlobalOptions& options, const std::string& role) {
    if (!target_session_attrs_for(role))
        throw usage_error(fmt::format("unknown --role \"{}\"", role), "use --role primary, standby or any");
    auto entry = connect_local_or_given(config, options);
    catalog::require_schema(entry);
    return multi_host_conninfo(catalog::list_nodes(entry), role, pg::conninfo_value(config.conninfo, "connect_timeout"));
}

}  // namespace pgha
