#pragma once
// Watches this node's postmaster through a pidfd in the event loop, so that
// its exit is seen the moment the kernel knows it, not at the next monitoring
// round (which stays as the fallback).
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace pgha {

class PostmasterWatch {
public:
    // `exited(clean)`: clean when pg_control says the server was shut down
    // (pg_ctl stop -m fast or smart), not when it crashed or was killed.
    PostmasterWatch(boost::asio::io_context& io, std::string data_directory, std::function<void(bool clean)> exited);
    ~PostmasterWatch();
    // After a round found the server up: watch the postmaster named in
    // postmaster.pid, unless it is watched already. Never throws.
    void follow();
    // Stops watching (the daemon stops: nothing may keep its loop running).
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pgha
