#pragma once
// The machine and human forms of command results (DESIGN.md section 3). Field
// names here are a contract: scripts depend on them.
#include <optional>
#include <string>
#include <vector>

#include "actions/check.hpp"
#include "actions/cluster_matrix.hpp"
#include "actions/cluster_show.hpp"
#include "actions/daemon_control.hpp"
#include "actions/node_check.hpp"
#include "actions/node_status.hpp"
#include "actions/options.hpp"
#include "catalog/history.hpp"
#include "hooks/event.hpp"

namespace pgha {

std::string render_cluster(const std::vector<NodeView>& views, OutputFormat format);
std::string render_events(const std::vector<Event>& events, OutputFormat format);
std::string render_checks(const Checks& checks, OutputFormat format);
// cluster history: one row per timeline switch; "unknown" WAL beyond the fork
// until the old primary rejoined (--json null, --csv empty).
std::string render_history(const std::vector<catalog::TimelineSwitchRow>& rows, OutputFormat format);

// daemon status: one row per node's daemon. Under the table, a WARNING line
// for each daemon that did not answer and lease_mismatch_warning's line.
std::string render_daemons(const std::vector<DaemonView>& views, OutputFormat format);
// One WARNING line when the running daemons promise different lease timeouts,
// or any of them reports peers that do; nullopt when they agree.
std::optional<std::string> lease_mismatch_warning(const std::vector<DaemonView>& views);

// node status: "key: value" lines; --csv "key,value" rows; --json one object.
std::string render_node_status(const NodeStatus& status, OutputFormat format);

// node check: "role: OK - node is standby" lines, or a JSON array of
// {check, status, message, perfdata}.
std::string render_node_checks(const std::vector<CheckResult>& results, OutputFormat format);
// One Nagios plugin line per check: "PGHA_ROLE OK - node is standby | perfdata".
std::string render_nagios(const std::vector<CheckResult>& results);

// cluster matrix: the grid (* reachable, x unreachable, ? unknown) with notes;
// --csv rows "source_node_id,source,target_node_id,target,status"; --json an object.
std::string render_matrix(const Matrix& matrix, OutputFormat format);
// cluster crosscheck: per node "seen up by N of M sources" and the verdict.
std::string render_crosscheck(const Matrix& matrix, OutputFormat format);

}  // namespace pgha
