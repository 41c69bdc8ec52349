#include "actions/history_record.hpp"

#include "actions/timeline_files.hpp"
#include "catalog/history.hpp"
#include "core/log.hpp"

namespace pgha {

void record_promotion_history(const Config& config, const pg::Connection& local, int timeline,
                              const std::string& reason, std::int64_t term,
                              const std::optional<NodeRecord>& old_primary) {
    try {
        auto history = read_history_file(config.data_directory, timeline);
        if (timeline <= 1 || !history || history->empty()) {
            log::warning("cluster history: no history file of timeline {} in pg_wal; the promotion is not recorded",
                         timeline);
            return;
        }
        catalog::TimelineSwitchRow row;
        row.timeline = timeline;
        row.parent_timeline = history->back().timeline;
        row.fork_lsn = history->back().switchpoint;
        row.reason = reason;
        row.term = term;
        if (old_primary) {
            row.old_primary_id = old_primary->node_id;
            row.old_primary_name = old_primary->node_name;
        }
        row.new_primary_id = config.node_id;
        row.new_primary_name = config.node_name;
        if (reason == "switchover" || reason == "unfence") {  // the new primary had all the old one wrote
            row.old_primary_wal_end = row.fork_lsn;
            row.bytes_beyond_fork = 0;
        }
        catalog::record_timeline_switch(local, row);
    } catch (const std::exception& error) {  // Error or a malformed file's parse: the promotion stands
        log::warning("cluster history: the promotion is not recorded: {}", error.what());
    }
}

}  // namespace pgha
