#pragma once
// Helpers for the JSON that pgha serves (/status) and prints (--json): absent
// values are null, never a made-up 0 or "". Header-only, nlohmann only; kept
// in protocol, below http, actions and output, so that all of them can use it.
#include <nlohmann/json.hpp>

#include <optional>

#include "core/lsn.hpp"

namespace pgha {

using json = nlohmann::ordered_json;

template <typename T>
json or_null(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

inline json lsn_json(const std::optional<Lsn>& lsn) { return lsn ? json(format_lsn(*lsn)) : json(nullptr); }

}  // namespace pgha
