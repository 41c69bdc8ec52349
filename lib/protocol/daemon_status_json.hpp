#pragma once
// GET /status on the wire: the daemon encodes its DaemonStatus; `pgha daemon
// status` and `pgha cluster show` decode it. One file for both sides, so the
// field names (a contract: DESIGN.md sections 3 and 6) cannot drift apart.
#include <string>

#include "protocol/daemon_status.hpp"

namespace pgha {

// One JSON object; absent values (no upstream, no LSN, not fenced) are null.
std::string encode_status_json(const DaemonStatus& status);

// Absent or null fields keep DaemonStatus's defaults, so the answer of an older
// daemon still reads. Throws std::exception when the body is not a JSON object
// or a field has the wrong type.
DaemonStatus decode_status_json(const std::string& body);

}  // namespace pgha
