#include "monitor/witness_sync.hpp"

#include <fmt/format.h>

#include <optional>

#include "catalog/witness_copy.hpp"
#include "core/log.hpp"
#include "monitor/facts.hpp"
#include "pg/connection.hpp"

namespace pgha {
namespace {

bool is_writable_primary(const Config& config, const TickFacts& facts) {
    return facts.metadata_read && facts.primary && facts.primary->node_id == config.node_id &&
           facts.primary_writable;
}

std::string one_line(const Error& error) {
    std::string text = error.what();
    if (!error.detail().empty()) text += ": " + error.detail();
    for (auto& c : text)
        if (c == '\n' || c == '\t') c = ' ';
    return text;
}

}  // namespace

WitnessSync::~WitnessSync() {
    std::thread running;
    {
        std::lock_guard lock(mutex_);
        running.swap(thread_);
    }
    if (running.joinable()) running.join();
}

void WitnessSync::refresh_if_due(const Config& config, const TickFacts& facts, std::chrono::seconds timeout) {
    if (!is_writable_primary(config, facts)) return;
    auto fingerprint = metadata_fingerprint(facts);
    auto summary = fmt::format("term {}, primary node {}, {} nodes", facts.cluster.term, facts.primary->node_id,
                               facts.records.size());
    std::lock_guard lock(mutex_);
    if (busy_) return;
    auto witnesses = schedule_.due(facts.records, fingerprint, std::chrono::steady_clock::now());
    if (witnesses.empty()) return;
    if (thread_.joinable()) thread_.join();  // the last copy is over (not busy): reap its thread
    busy_ = true;
    thread_ = std::thread([this, config, witnesses = std::move(witnesses), fingerprint, summary, timeout] {
        copy(config, witnesses, fingerprint, summary, timeout);
        std::lock_guard lock(mutex_);
        busy_ = false;
    });
}

void WitnessSync::copy(const Config& config, const std::vector<NodeRecord>& witnesses,
                       const std::string& fingerprint, const std::string& summary, std::chrono::seconds timeout) {
    std::optional<pg::Connection> primary;
    std::string primary_error;
    try {
        primary = pg::Connection::open(config.conninfo, {.default_timeout = timeout});
    } catch (const Error& error) {
        primary_error = "cannot read this primary's metadata: " + one_line(error);
    }
    for (const auto& witness : witnesses) {
        std::string error = primary_error;
        if (primary) {
            try {
                auto connection = pg::Connection::open(witness.conninfo, {.default_timeout = timeout});
                if (!catalog::refresh_witness_copy(*primary, connection, catalog::NewerTerm::keep))
                    error = "it holds a newer term than this primary's metadata: its copy is kept";
            } catch (const Error& e) {
                error = one_line(e);
            }
        }
        record(witness, fingerprint, summary, error);
    }
}

void WitnessSync::record(const NodeRecord& witness, const std::string& fingerprint, const std::string& summary,
                         const std::string& error) {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    if (!error.empty()) {
        if (schedule_.failed(witness.node_id, error, now))
            log::warning("the metadata copy on witness {} is not updated: {}; retrying", describe(witness), error);
        else
            log::debug("the metadata copy on witness {} is still not updated: {}", describe(witness), error);
        return;
    }
    if (schedule_.changes(witness.node_id, fingerprint))
        log::info("copied the metadata to witness {} ({})", describe(witness), summary);
    else
        log::debug("refreshed the metadata copy on witness {} ({})", describe(witness), summary);
    schedule_.copied(witness.node_id, fingerprint, now);
}

}  // namespace pgha
