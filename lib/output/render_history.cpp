// cluster history: one row per timeline switch.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "output/render.hpp"
#include "output/table.hpp"

namespace pgha {

std::string render_history(const std::vector<catalog::TimelineSwitchRow>& rows, OutputFormat format) {
    auto node = [](std::optional<int> id, const std::string& name) {
        return id ? fmt::format("{} ({})", name, *id) : std::string("-");
    };
    if (format == OutputFormat::json) {
        auto out = nlohmann::json::array();
        for (const auto& r : rows) {
            nlohmann::json row{{"timeline", r.timeline},
                               {"parent_timeline", r.parent_timeline},
                               {"switched_at", r.switched_at},
                               {"reason", r.reason},
                               {"term", r.term},
                               {"old_primary_id", nullptr},
                               {"old_primary_name", nullptr},
                               {"new_primary_id", r.new_primary_id},
                               {"new_primary_name", r.new_primary_name},
                               {"fork_lsn", format_lsn(r.fork_lsn)},
                               {"old_primary_wal_end", nullptr},
                               {"bytes_beyond_fork", nullptr}};
            if (r.old_primary_id) {
                row["old_primary_id"] = *r.old_primary_id;
                row["old_primary_name"] = r.old_primary_name;
            }
            if (r.old_primary_wal_end) row["old_primary_wal_end"] = format_lsn(*r.old_primary_wal_end);
            if (r.bytes_beyond_fork) row["bytes_beyond_fork"] = *r.bytes_beyond_fork;
            out.push_back(std::move(row));
        }
        return out.dump(2) + "\n";
    }
    bool machine = format == OutputFormat::csv;
    Table table;
    table.header = machine ? std::vector<std::string>{"timeline", "parent_timeline", "switched_at", "reason", "term",
                                                      "old_primary_id", "new_primary_id", "fork_lsn",
                                                      "old_primary_wal_end", "bytes_beyond_fork"}
                           : std::vector<std::string>{"Timeline", "When", "Reason", "Term", "Old primary",
                                                      "New primary", "Fork LSN", "WAL beyond fork"};
    for (const auto& r : rows) {
        auto beyond = r.bytes_beyond_fork ? std::to_string(*r.bytes_beyond_fork) : std::string(machine ? "" : "unknown");
        if (machine)
            table.rows.push_back({std::to_string(r.timeline), std::to_string(r.parent_timeline), r.switched_at, r.reason,
                                  std::to_string(r.term), r.old_primary_id ? std::to_string(*r.old_primary_id) : "",
                                  std::to_string(r.new_primary_id), format_lsn(r.fork_lsn),
                                  r.old_primary_wal_end ? format_lsn(*r.old_primary_wal_end) : "", beyond});
        else
            table.rows.push_back({fmt::format("{} -> {}", r.parent_timeline, r.timeline), r.switched_at, r.reason,
                                  std::to_string(r.term), node(r.old_primary_id, r.old_primary_name),
                                  node(r.new_primary_id, r.new_primary_name), format_lsn(r.fork_lsn),
                                  r.bytes_beyond_fork ? beyond + " bytes" : beyond});
    }
    return machine ? render_csv(table) : render_text(table);
}

}  // namespace pgha
