#pragma once
// Helpers shared by the JSON renderers (only output/*.cpp include nlohmann).
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
