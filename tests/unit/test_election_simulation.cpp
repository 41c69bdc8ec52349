// Thousands of seeded runs of the election simulation (election_sim.hpp).
//   PGHA_SIM_RUNS=n         how many seeds (default 5000)
//   PGHA_SIM_FIRST_SEED=s   the first seed (default 1)
//   PGHA_SIM_SEED=s         run only seed s and print its full trace
//   PGHA_SIM_LIST=1         print one line per run
//   PGHA_SIM_UNFENCE_START_MS=ms  an unfence's start in recovery takes up to this long (default 5000)
//   PGHA_SIM_UNFENCE_PROMOTE_MS=ms  an unfence's pg_promote takes up to this long (default 1000)
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <optional>
#include <utility>

#include "election_sim.hpp"

using namespace pgha::sim;

namespace {

std::optional<std::uint64_t> env_number(const char* name) {
    const char* text = std::getenv(name);
    if (!text || !*text) return std::nullopt;
    return std::strtoull(text, nullptr, 10);
}

// The trace up to shortly after the first violation.
std::vector<std::string> trace_tail(std::uint64_t seed, const Options& options, std::size_t lines) {
    std::deque<std::string> tail;
    int after = -1;
    Trace keep = [&](const std::string& line) {
        if (after == 0) return;
        if (after > 0) --after;
        else if (line.find("VIOLATION") != std::string::npos) after = 5;
        tail.push_back(line);
        if (tail.size() > lines) tail.pop_front();
    };
    run_simulation(seed, options, &keep);
    return {tail.begin(), tail.end()};
}

void report_failure(const RunResult& run, const Options& options) {
    std::cout << fmt::format("seed {} ({}):\n", run.seed, run.topology);
    for (const auto& violation : run.violations) std::cout << "  " << violation.what << '\n';
    std::cout << "  the events before the first:\n";
    for (const auto& line : trace_tail(run.seed, options, 40)) std::cout << "    " << line << '\n';
    std::cout << fmt::format("  replay it with its full trace: PGHA_SIM_SEED={} pgha-unit-tests '[simulation]'\n",
                             run.seed);
}

Millis percentile(std::vector<Millis> values, double p) {
    if (values.empty()) return Millis(0);
    auto at = values.begin() + std::ptrdiff_t(double(values.size() - 1) * p);
    std::nth_element(values.begin(), at, values.end());
    return *at;
}

struct Summary {
    std::uint64_t runs = 0;
    std::uint64_t failed_runs = 0;
    std::array<std::uint64_t, kInvariants> runs_violating{};  // per invariant, fencing.mode = "ping" apart
    std::uint64_t ping_runs = 0, ping_runs_violating = 0;
    std::uint64_t recovered = 0;
    Millis overlap{0};
    std::vector<Millis> gaps;
    std::uint64_t elections = 0, promotions = 0, fences = 0, releases = 0, crashes = 0, events = 0;
    std::uint64_t unfence_starts = 0, unfence_starts_lost = 0, unfence_rounds = 0, unfences = 0, unfences_late = 0,
                  runs_unfencing = 0, ended_unfenced = 0;
    std::uint64_t freezes = 0, reloads = 0, pauses = 0, holds = 0;
    Millis unprotected{0};

    void add(const RunResult& run) {
        ++runs;
        ping_runs += run.ping_mode ? 1 : 0;
        ping_runs_violating += run.ping_mode && !run.violations.empty() ? 1 : 0;
        failed_runs += run.violations.empty() || run.ping_mode ? 0 : 1;
        for (int i = 0; run.ping_mode == false && i < kInvariants; ++i)
            runs_violating[i] += std::any_of(run.violations.begin(), run.violations.end(),
                                             [&](const auto& v) { return int(v.invariant) == i; });
        recovered += run.recovered() ? 1 : 0;
        overlap += run.writable_overlap;
        gaps.insert(gaps.end(), run.gaps_without_primary.begin(), run.gaps_without_primary.end());
        elections += std::uint64_t(run.elections);
        promotions += std::uint64_t(run.promotions);
        fences += std::uint64_t(run.fences);
        releases += std::uint64_t(run.releases);
        crashes += std::uint64_t(run.host_crashes + run.postgres_crashes);
        events += run.events;
        unfence_starts += std::uint64_t(run.unfence_starts);
        unfence_starts_lost += std::uint64_t(run.unfence_starts_lost);
        unfence_rounds += std::uint64_t(run.unfence_rounds);
        unfences += std::uint64_t(run.unfences);
        unfences_late += std::uint64_t(run.unfences_late);
        freezes += std::uint64_t(run.freezes);
        reloads += std::uint64_t(run.reloads);
        pauses += std::uint64_t(run.pauses);
        holds += std::uint64_t(run.holds);
        unprotected += run.unprotected_overlap;
        runs_unfencing += run.unfences > 0 ? 1 : 0;
        ended_unfenced += run.ended_unfenced ? 1 : 0;
    }

    std::uint64_t violating(Invariant invariant) const { return runs_violating[int(invariant)]; }

    std::string line(std::chrono::duration<double> wall) const {
        std::string kinds;
        for (int i = 0; i < kInvariants; ++i)
            if (runs_violating[i]) kinds += fmt::format("; {}: {} runs", describe(Invariant(i)), runs_violating[i]);
        return fmt::format(
            "election simulation: {} runs, {} with an invariant violation{}; {:.1f}% ended with exactly one primary "
            "after the final heal; time to a new primary: median {:.1f} s, 90th percentile {:.1f} s ({} failovers); "
            "{} elections, {} promotions, {} fences, {} lease releases, {} crashes, {} events; {:.2f} s ({:.2f} ms "
            "per run)",
            runs, failed_runs, kinds, 100.0 * double(recovered) / double(std::max<std::uint64_t>(runs, 1)),
            double(percentile(gaps, 0.5).count()) / 1000, double(percentile(gaps, 0.9).count()) / 1000, gaps.size(),
            elections, promotions, fences, releases, crashes, events, wall.count(),
            1000 * wall.count() / double(std::max<std::uint64_t>(runs, 1))) +
               fmt::format("; unfencing: {} starts in recovery ({} lost their server before it replayed), {} "
                           "heartbeat rounds of fenced nodes, {} unfences in {} runs, {} promotions ended after the "
                           "margin and were stopped, {} runs ended with an unfenced primary",
                           unfence_starts, unfence_starts_lost, unfence_rounds, unfences, runs_unfencing,
                           unfences_late, ended_unfenced) +
               fmt::format("; {} frozen daemons, {} lease_timeout reloads, {} pauses, {} switchover holds; {:.1f} s "
                           "of two writable servers where one could not be fenced (frozen daemon or fencing off)",
                           freezes, reloads, pauses, holds, double(unprotected.count()) / 1000) +
               fmt::format("; fencing.mode = \"ping\" (two data nodes, not counted above): {} of {} runs had two "
                           "primaries at once",
                           ping_runs_violating, ping_runs);
    }
};

}  // namespace

TEST_CASE("in thousands of simulated runs no two nodes hold a primary lease and no promotion loses a voter's WAL",
          "[simulation]") {
    Options options;
    if (auto ms = env_number("PGHA_SIM_UNFENCE_START_MS")) options.unfence_start_max = Millis(*ms);
    if (auto ms = env_number("PGHA_SIM_UNFENCE_PROMOTE_MS")) options.unfence_promote_max = Millis(*ms);
    if (auto seed = env_number("PGHA_SIM_SEED")) {
        Trace print = [](const std::string& line) { std::cout << line << '\n'; };
        auto run = run_simulation(*seed, options, &print);
        Summary summary;
        summary.add(run);
        std::cout << summary.line(std::chrono::duration<double>(0)) << '\n';
        for (const auto& violation : run.violations) std::cout << violation.what << '\n';
        CHECK(run.violations.empty());
        return;
    }
    auto runs = env_number("PGHA_SIM_RUNS").value_or(5000);
    auto first = env_number("PGHA_SIM_FIRST_SEED").value_or(1);
    bool list = env_number("PGHA_SIM_LIST").value_or(0) != 0;
    Summary summary;
    std::array<bool, kInvariants> reported{};  // one failing seed with its trace per invariant
    auto started = std::chrono::steady_clock::now();
    for (auto seed = first; seed < first + runs; ++seed) {
        auto run = run_simulation(seed, options);
        summary.add(run);
        if (list) {
            std::cout << fmt::format("seed {}: {}; {} lease holders at the end, {} promotions, {} violations\n", seed,
                                     run.topology, run.lease_holders_at_end, run.promotions, run.violations.size());
            for (const auto& violation : run.violations) std::cout << "  " << violation.what << '\n';
        }
        bool first_of_its_kind = false;
        for (const auto& violation : run.violations)
            first_of_its_kind =
                (!run.ping_mode && !std::exchange(reported[int(violation.invariant)], true)) || first_of_its_kind;
        if (first_of_its_kind) report_failure(run, options);
    }
    auto line = summary.line(std::chrono::steady_clock::now() - started);
    std::cout << line << std::endl;
    INFO(line);
    CHECK(summary.violating(Invariant::one_lease_holder) == 0);
    CHECK(summary.violating(Invariant::one_leader_per_term) == 0);
    CHECK(summary.violating(Invariant::voters_not_ahead) == 0);
    CHECK(summary.violating(Invariant::one_writable_server) == 0);
    // The runs must really fail over, or they prove nothing.
    CHECK(summary.promotions >= summary.runs);
}

TEST_CASE("a simulation seed replays exactly", "[simulation]") {
    Options options;
    std::vector<std::string> first, second;
    Trace into_first = [&](const std::string& line) { first.push_back(line); };
    Trace into_second = [&](const std::string& line) { second.push_back(line); };
    auto a = run_simulation(42, options, &into_first);
    auto b = run_simulation(42, options, &into_second);
    CHECK(a.events == b.events);
    CHECK(first == second);
    auto untraced = run_simulation(42, options);
    CHECK(untraced.events == a.events);  // tracing draws no random numbers
}
