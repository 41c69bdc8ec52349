#include "monitor/state_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"

namespace pgha {
namespace fs = std::filesystem;
namespace {

void fsync_path(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags);
    if (fd < 0) throw Error(ExitCode::partial, fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw Error(ExitCode::partial, fmt::format("cannot fsync {}: {}", path, std::strerror(errno)));
}

}  // namespace

StateStore::StateStore(std::string state_dir) : dir_(std::move(state_dir)), path_((fs::path(dir_) / "state.json").string()) {}

DurableState StateStore::load() const {
    DurableState state;
    std::ifstream in(path_);
    if (!in) return state;
    try {
        auto doc = nlohmann::json::parse(in);
        state.voter.term = doc.at("term").get<std::int64_t>();
        if (!doc.at("voted_for").is_null()) state.voter.voted_for = doc.at("voted_for").get<int>();
        state.paused = doc.value("paused", false);
    } catch (const std::exception& error) {
        throw Error(ExitCode::usage, fmt::format("cannot read the daemon state file {}", path_), error.what(),
                    "restore it, or remove it only if this node has not voted in the current term");
    }
    return state;
}

void StateStore::save(const DurableState& state) const {
    std::error_code ignored;
    fs::create_directories(dir_, ignored);
    nlohmann::json doc{{"term", state.voter.term},
                       {"voted_for", state.voter.voted_for ? nlohmann::json(*state.voter.voted_for) : nlohmann::json()},
                       {"paused", state.paused}};
    auto temp = path_ + ".tmp";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << doc.dump() << "\n";
        if (!out) throw Error(ExitCode::partial, fmt::format("cannot write {}", temp));
    }
    fsync_path(temp, O_RDONLY);
    fs::rename(temp, path_);
    fsync_path(dir_, O_RDONLY | O_DIRECTORY);
}

}  // namespace pgha
