#include "monitor/event_queue.hpp"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "catalog/events.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace pgha {
namespace fs = std::filesystem;
using json = nlohmann::json;
namespace {

std::mutex queue_mutex;  // one daemon per process: one queue file

json to_json(const Event& e) {
    return {{"node_id", e.node_id}, {"node_name", e.node_name}, {"event", e.type},
            {"successful", e.successful}, {"timestamp", e.timestamp}, {"details", e.details}};
}

Event from_json(const json& doc) {
    Event e;
    e.node_id = doc.at("node_id").get<int>();
    e.node_name = doc.at("node_name").get<std::string>();
    e.type = doc.at("event").get<std::string>();
    e.successful = doc.at("successful").get<bool>();
    e.timestamp = doc.at("timestamp").get<std::string>();
    e.details = doc.at("details").get<std::string>();
    return e;
}

std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

}  // namespace

EventQueue::EventQueue(const std::string& state_dir) : path_((fs::path(state_dir) / "pending-events.jsonl").string()) {}

void EventQueue::push(const Event& event) const {
    std::lock_guard lock(queue_mutex);
    std::error_code ignored;
    fs::create_directories(fs::path(path_).parent_path(), ignored);
    std::ofstream out(path_, std::ios::app);
    out << to_json(event).dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    out.flush();
    if (!out) return log::warning("event \"{}\" lost: cannot append to {}", event.type, path_);
    log::info("event \"{}\" queued in {} until a primary is writable", event.type, path_);
}

bool EventQueue::empty() const {
    std::lock_guard lock(queue_mutex);
    std::error_code error;
    auto size = fs::file_size(path_, error);
    return error || size == 0;
}

std::size_t EventQueue::flush(const pg::Connection& writable) const {
    std::lock_guard lock(queue_mutex);
    auto lines = read_lines(path_);
    std::size_t written = 0;
    for (const auto& line : lines) {
        try {
            auto event = from_json(json::parse(line));
            catalog::record_event(writable, event);
        } catch (const Error& error) {
            log::warning("queued events not written yet: {} {}", error.what(), error.detail());
            break;
        } catch (const std::exception& error) {
            log::warning("dropping a malformed queued event in {}: {}", path_, error.what());
        }
        ++written;
    }
    if (written == 0) return 0;
    // Rewrite with what is left (normally nothing): temp file, then rename.
    auto temp = path_ + ".tmp";
    {
        std::ofstream out(temp, std::ios::trunc);
        for (std::size_t i = written; i < lines.size(); ++i) out << lines[i] << "\n";
    }
    fs::rename(temp, path_);
    log::info("wrote {} queued event(s) to pgha.events", written);
    return written;
}

}  // namespace pgha
