#include <catch2/catch.hpp>

#include <chrono>

#include "process/process.hpp"

using namespace pgha;

TEST_CASE("run_process reports exit codes and output") {
    auto ok = run_process({"/bin/sh", "-c", "echo out; echo err >&2; exit 0"});
    CHECK(ok.succeeded());
    CHECK_THAT(ok.output, Catch::Matchers::Contains("out") && Catch::Matchers::Contains("err"));
    auto failed = run_process({"/bin/sh", "-c", "exit 7"});
    CHECK_FALSE(failed.succeeded());
    CHECK(failed.exit_code == 7);
    CHECK(failed.describe() == "exited with code 7");
}

TEST_CASE("arguments reach the program verbatim, never through a shell") {
    auto result = run_process({"/bin/echo", "$(id)", "a;b", "'q'"});
    CHECK(result.output == "$(id) a;b 'q'\n");
}

TEST_CASE("a missing program is reported, not thrown") {
    auto result = run_process({"/nonexistent/hook"});
    CHECK_FALSE(result.started);
    CHECK_THAT(result.describe(), Catch::Matchers::Contains("/nonexistent/hook"));
}

TEST_CASE("a program past its timeout is stopped with its children") {
    auto start = std::chrono::steady_clock::now();
    auto result = run_process({"/bin/sh", "-c", "sleep 30 & sleep 30"}, {.timeout = Millis(200)});
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(result.timed_out);
    CHECK_FALSE(result.succeeded());
    // Well under the child's 30 s: the whole group was killed, pipe closed.
    CHECK(took < std::chrono::seconds(10));
}
