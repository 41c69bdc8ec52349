#pragma once
// Runs blocking jobs (libpq, pg_ctl, hooks) on their own threads and hands the
// completion back to the event loop, so the loop itself never blocks.
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace boost::asio {
class io_context;
}

namespace pgha {

class Workers {
public:
    explicit Workers(boost::asio::io_context& io) : io_(io) {}
    ~Workers();  // joins every thread (jobs are bounded by their own timeouts)
    Workers(const Workers&) = delete;
    Workers& operator=(const Workers&) = delete;

    // `job` runs on a new thread; `done` then runs on the loop.
    void run(std::function<void()> job, std::function<void()> done);

private:
    boost::asio::io_context& io_;
    std::mutex mutex_;
    std::list<std::thread> threads_;
};

}  // namespace pgha
