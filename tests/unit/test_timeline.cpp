#include <catch2/catch.hpp>

#include "actions/controldata.hpp"
#include "actions/timeline.hpp"
#include "actions/timeline_files.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace pgha;

TEST_CASE("timeline history files parse, comments and blank lines skipped") {
    auto history = parse_timeline_history("1\t0/3000148\tno recovery target specified\n\n# note\n2\t0/5017BB8\tx\n");
    REQUIRE(history);
    REQUIRE(history->size() == 2);
    CHECK((*history)[0].timeline == 1);
    CHECK((*history)[0].switchpoint == 0x3000148);
    CHECK((*history)[1].timeline == 2);
    CHECK_FALSE(parse_timeline_history("1 nonsense\n"));
    CHECK_FALSE(parse_timeline_history("x\t0/1\n"));
}

TEST_CASE("a node can follow a target only when its WAL has not gone past the fork") {
    std::vector<TimelineSwitch> history{{1, 0x5000000}, {2, 0x7000000}};
    struct Case { int node_tli; Lsn node_lsn; int target_tli; Lsn target_lsn; bool expected; };
    for (auto c : {
             Case{1, 0x4000000, 3, 0x8000000, true},   // behind the fork of timeline 1
             Case{1, 0x5000000, 3, 0x8000000, true},   // exactly at the fork
             Case{1, 0x5000001, 3, 0x8000000, false},  // WAL past the fork: needs pg_rewind
             Case{2, 0x6000000, 3, 0x8000000, true},
             Case{2, 0x7000100, 3, 0x8000000, false},
             Case{3, 0x7500000, 3, 0x8000000, true},   // same timeline, target ahead
             Case{3, 0x9000000, 3, 0x8000000, false},  // same timeline, this node ahead
             Case{4, 0x1000000, 3, 0x8000000, false},  // newer timeline than the target
             Case{5, 0x1000000, 6, 0x8000000, false},  // timeline 5 not in the target's history
         }) {
        INFO("node tli " << c.node_tli << " lsn " << format_lsn(c.node_lsn));
        auto verdict = can_follow(c.node_tli, c.node_lsn, c.target_tli, c.target_lsn, history);
        CHECK(verdict.can_follow == c.expected);
        CHECK_FALSE(verdict.reason.empty());
    }
}

TEST_CASE("pg_controldata output parses into the facts rejoin needs") {
    auto control = parse_controldata(
        "pg_control version number:            1300\n"
        "Database system identifier:           7710834450398787062\n"
        "Database cluster state:               shut down\n"
        "Latest checkpoint location:           0/5023520\n"
        "Latest checkpoint's REDO location:    0/5023520\n"
        "Latest checkpoint's TimeLineID:       1\n"
        "wal_log_hints setting:                on\n"
        "Data page checksum version:           0\n");
    REQUIRE(control);
    CHECK(control->system_identifier == "7710834450398787062");
    CHECK(control->cluster_state == "shut down");
    CHECK(control->timeline == 1);
    CHECK(control->redo_lsn == 0x5023520);
    CHECK(control->wal_log_hints);
    CHECK_FALSE(control->data_checksums);
    CHECK_FALSE(parse_controldata("Database cluster state: shut down\n"));
}

TEST_CASE("the end of WAL is read from pg_waldump's closing error") {
    CHECK(parse_wal_end("pg_waldump: error: error in WAL record at 0/1527978: invalid record length at "
                        "0/1527B10: wanted 24, got 0\n") == 0x1527B10);
    // Only the last record's start is known: conservatively just past it.
    CHECK(parse_wal_end("pg_waldump: error: error in WAL record at 0/1527978: invalid magic number 0000 in log "
                        "segment 000000010000000000000002, offset 0\n") == 0x1527979);
    CHECK_FALSE(parse_wal_end("pg_waldump: error: could not open directory \"x\": No such file or directory\n"));
}

TEST_CASE("a timeline number started twice from different points is a collision pg_rewind cannot see") {
    // Both forked timeline 6: node at 0/5000000 (its unfence), target at 0/6000000 (its election).
    std::vector<TimelineSwitch> node_history{{1, 0x1000000}, {5, 0x3000000}, {6, 0x5000000}};
    std::vector<TimelineSwitch> target_history{{1, 0x1000000}, {5, 0x3000000}, {6, 0x6000000}};
    auto collision = timeline_collision(7, node_history, 7, target_history);
    REQUIRE(collision);
    CHECK(collision->find("timeline 7 was started twice") != std::string::npos);
    CHECK_FALSE(timeline_collision(7, node_history, 7, node_history));  // the same timeline 7
    // A plain fork: different timeline numbers after 6, shared ones start alike.
    std::vector<TimelineSwitch> reserved{{1, 0x1000000}, {5, 0x3000000}, {6, 0x6000000}};
    CHECK_FALSE(timeline_collision(7, node_history, 8, reserved));
    CHECK_FALSE(timeline_collision(6, {{1, 0x1000000}, {5, 0x3000000}}, 8, reserved));
}

TEST_CASE("timeline numbers a voter knows are reserved, so that a promotion starts a newer one") {
    auto dir = std::filesystem::temp_directory_path() / fmt::format("pgha-tli-{}", ::getpid());
    std::filesystem::create_directories(dir / "pg_wal");
    std::ofstream(dir / "pg_wal" / "00000006.history") << "1\t0/1000000\tx\n5\t0/3000000\ty\n";
    CHECK(newest_known_timeline(dir.string()) == 6);
    CHECK(reserve_timelines(dir.string(), 6).empty());
    auto written = reserve_timelines(dir.string(), 8);
    CHECK(written == std::vector<int>{7, 8});
    CHECK(newest_known_timeline(dir.string()) == 8);
    auto placeholder = read_history_file(dir.string(), 8);
    REQUIRE(placeholder);
    REQUIRE(placeholder->size() == 3);
    // Forked where timeline 6 began: a standby replaying timeline 6 refuses to follow it.
    CHECK(placeholder->back().timeline == 6);
    CHECK(placeholder->back().switchpoint == 0x3000000);
    CHECK(read_history_file(dir.string(), 1)->empty());
    CHECK_FALSE(read_history_file(dir.string(), 9));
    // A voter's absurd timeline reserves at most max_reserved numbers.
    CHECK(reserve_timelines(dir.string(), 100000).size() == std::size_t(max_reserved));
    release_timelines(dir.string(), {7, 8});
    CHECK_FALSE(read_history_file(dir.string(), 7));
    CHECK(read_history_file(dir.string(), 9));
    std::filesystem::remove_all(dir);
}
