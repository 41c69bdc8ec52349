#pragma once
// A standby's persistent connection to its primary, watched in the event
// loop: a primary host that goes away closes it (RST or FIN), which is seen
// at once instead of at the next monitoring round.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace pgha {

class Workers;

class UpstreamWatch {
public:
    UpstreamWatch(boost::asio::io_context& io, Workers& workers, std::function<void()> lost);
    ~UpstreamWatch();
    // After a round that saw the primary at `conninfo` writable: keep a
    // connection to it open (connected on a worker, within `deadline`).
    void follow(const std::string& conninfo, std::chrono::milliseconds deadline);
    // Not a standby of a writable primary any more: close it, report nothing.
    void drop();

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace pgha
