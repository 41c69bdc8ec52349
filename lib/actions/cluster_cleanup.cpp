#include "actions/cluster_cleanup.hpp"

#include <fmt/format.h>

#include "actions/connect.hpp"
#include "actions/emit_event.hpp"
#include "catalog/monitoring.hpp"

namespace pgha {

CleanupOutcome cleanup_history(const Config& config, const GlobalOptions& options, int keep_days) {
    if (keep_days < 0)
        throw usage_error(fmt::format("--keep-history must be 0 or more days, not {}", keep_days),
                          "for example --keep-history 30 (0 deletes all monitoring history)");
    auto entry = connect_local_or_given(config, options);
    auto primary = connect_primary(entry);  // the registered primary, wherever we entered
    if (options.dry_run) {
        auto count = catalog::count_history_older_than(primary, keep_days);
        return {fmt::format("dry run: {} monitoring history row(s) older than {} day(s) would be deleted; "
                            "nothing was changed",
                            count, keep_days),
                count};
    }
    auto deleted = catalog::delete_history_older_than(primary, keep_days);
    auto message = fmt::format("deleted {} monitoring history row(s) older than {} day(s)", deleted, keep_days);
    emit_event(config, &primary, make_event(config, "cluster_cleanup", true, message));
    return {message, deleted};
}

}  // namespace pgha
