#include "actions/switchover_client.hpp"

#include <fmt/format.h>

#include <future>
#include <random>
#include <thread>

#include "actions/daemon_control.hpp"
#include "http/auth.hpp"

namespace pgha {
namespace {

using Clock = std::chrono::steady_clock;
constexpr Millis request_timeout{2000};
constexpr Millis poll_interval{20};
constexpr Millis renew_every{2000};
constexpr Millis silence_limit{5000};  // a daemon that does not answer for this long is lost

std::string random_id() {
    std::random_device device;
    std::uniform_int_distribution<std::uint32_t> word;
    return fmt::format("{:08x}{:08x}", word(device), word(device));
}

std::optional<switchover::State> post(const std::string& secret, const NodeRecord& node, const std::string& path,
                                      const std::string& body, std::string& error) {
    auto response = ask_daemon(node, signed_request("POST", path, body, secret, std::chrono::system_clock::now()), error,
                               request_timeout);
    if (!response) return std::nullopt;
    try {
        return switchover::decode_state(response->body);
    } catch (const std::exception& e) {
        error = std::string("malformed answer: ") + e.what();
        return std::nullopt;
    }
}

// `body_for` each node, sent to all at once; an answer per node in order.
template <typename BodyFor>
std::vector<DaemonAnswer> post_all(const std::string& secret, const std::vector<NodeRecord>& nodes,
                                   const std::string& path, BodyFor body_for) {
    std::vector<std::future<DaemonAnswer>> pending;
    for (const auto& node : nodes)
        pending.push_back(std::async(std::launch::async, [&secret, &path, node, body = body_for(node)] {
            DaemonAnswer answer;
            if (auto state = post(secret, node, path, body, answer.error)) {
                answer.answered = true;
                answer.state = *state;
            }
            return answer;
        }));
    std::vector<DaemonAnswer> answers;
    for (auto& p : pending) answers.push_back(p.get());
    return answers;
}

}  // namespace

std::vector<DaemonAnswer> switchover_states(const std::string& secret, const std::vector<NodeRecord>& nodes) {
    return post_all(secret, nodes, "/peer/switchover-state", [](const NodeRecord&) { return std::string("{}"); });
}

SwitchoverLink::SwitchoverLink(std::string secret, std::vector<NodeRecord> nodes)
    : secret_(std::move(secret)), nodes_(std::move(nodes)), id_(random_id()) {}

SwitchoverLink::~SwitchoverLink() { release(); }

std::vector<std::string> SwitchoverLink::set_hold(Millis duration) {
    auto body = switchover::encode(switchover::Hold{id_, duration.count()});
    auto answers = post_all(secret_, nodes_, "/peer/hold", [&body](const NodeRecord&) { return body; });
    std::vector<std::string> failed;
    for (std::size_t i = 0; i < nodes_.size(); ++i)
        if (!answers[i].answered) failed.push_back(fmt::format("{}: {}", describe(nodes_[i]), answers[i].error));
    return failed;
}

std::vector<std::string> SwitchoverLink::hold() {
    holding_ = true;
    renewed_ = Clock::now();
    auto failed = set_hold(hold_for);
    if (!failed.empty()) release();
    return failed;
}

void SwitchoverLink::release() {
    if (!holding_) return;
    holding_ = false;
    set_hold(Millis(0));
}

void SwitchoverLink::keep_holding() {
    if (!holding_ || Clock::now() - renewed_ < renew_every) return;
    renewed_ = Clock::now();
    set_hold(hold_for);
}

std::optional<switchover::State> SwitchoverLink::send(const NodeRecord& node, const std::string& path,
                                                      const std::string& body, std::string& error) {
    return post(secret_, node, path, body, error);
}

std::optional<switchover::Step> SwitchoverLink::wait_step(const NodeRecord& node, const std::string& name,
                                                          Millis timeout, std::string& error) {
    auto deadline = Clock::now() + timeout;
    auto answered = Clock::now();
    while (true) {
        auto state = post(secret_, node, "/peer/switchover-state", "{}", error);
        if (state) answered = Clock::now();
        if (state && state->step && state->step->id == id_ && state->step->name == name &&
            state->step->state != switchover::StepState::running)
            return state->step;
        // Holds are renewed only while the daemon doing the work answers.
        if (!state && Clock::now() - answered > silence_limit) {
            error = fmt::format("its daemon has not answered for {} s: {}", silence_limit.count() / 1000, error);
            return std::nullopt;
        }
        if (Clock::now() >= deadline) {
            if (state) error = fmt::format("its {} step did not end within {} s", name, timeout.count() / 1000);
            return std::nullopt;
        }
        keep_holding();
        std::this_thread::sleep_for(poll_interval);
    }
}

}  // namespace pgha
