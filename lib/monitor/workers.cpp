#include "http/asio_compat.hpp"

#include "monitor/workers.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "core/log.hpp"

namespace pgha {

Workers::~Workers() {
    std::list<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        threads.swap(threads_);
    }
    for (auto& thread : threads)
        if (thread.joinable()) thread.join();
}

void Workers::run(std::function<void()> job, std::function<void()> done) {
    std::lock_guard lock(mutex_);
    auto slot = threads_.emplace(threads_.end());
    *slot = std::thread([this, slot, job = std::move(job), done = std::move(done)]() mutable {
        try {
            job();
        } catch (const std::exception& error) {  // never std::terminate: the daemon goes on
            log::error("a worker's job failed: {}", error.what());
        } catch (...) {
            log::error("a worker's job failed with an unknown exception");
        }
        boost::asio::post(io_, [this, slot, done = std::move(done)] {
            {
                std::lock_guard lock(mutex_);
                if (slot->joinable()) slot->join();  // it has nothing left to do but return
                threads_.erase(slot);
            }
            done();
        });
    });
}

}  // namespace pgha
