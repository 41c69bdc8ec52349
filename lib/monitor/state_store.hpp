#pragma once
// The daemon's durable state in [daemon] state_dir: the voter's term and vote
// and the pause flag. Written atomically (temp file, fsync, rename, fsync of the
// directory) so a vote is on disk before the reply that announces it.
#include <string>

#include "decision/inputs.hpp"

namespace pgha {

using DurableState = decision::Durable;

class StateStore {
public:
    explicit StateStore(std::string state_dir);
    // The saved state, or defaults when none was saved. Throws pgha::Error
    // (usage) naming the file when it exists but cannot be read.
    DurableState load() const;
    // Throws pgha::Error(partial) naming the file when it cannot be written.
    void save(const DurableState& state) const;
    const std::string& path() const { return path_; }

private:
    std::string dir_;
    std::string path_;
};

}  // namespace pgha
