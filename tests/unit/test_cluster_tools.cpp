#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "actions/cluster_conninfo.hpp"
#include "actions/cluster_matrix.hpp"
#include "actions/node_service.hpp"
#include "actions/node_status.hpp"
#include "output/render.hpp"

using namespace pgha;

namespace {

NodeRecord record(int id, const std::string& type, const std::string& conninfo, bool active = true) {
    NodeRecord r;
    r.node_id = id;
    r.node_name = "node" + std::to_string(id);
    r.type = type;
    r.conninfo = conninfo;
    r.active = active;
    return r;
}

Matrix grid(std::vector<std::vector<Reach>> cells) {
    Matrix m;
    for (int id = 1; id <= static_cast<int>(cells.front().size()); ++id) m.nodes.push_back(record(id, "standby", ""));
    m.rows.push_back({std::nullopt, "this host", cells[0]});
    for (std::size_t i = 1; i < cells.size(); ++i)
        m.rows.push_back({static_cast<int>(i), "node" + std::to_string(i), cells[i]});
    return m;
}

constexpr Reach Y = Reach::reachable, N = Reach::unreachable, U = Reach::unknown;

}  // namespace

TEST_CASE("cluster conninfo lists active non-witness nodes by id with the role's session attrs") {
    std::vector<NodeRecord> records{
        record(3, "standby", "host=db3 port=5434 user=pgha password=Sup3rS3cret"),
        record(1, "primary", "host=db1 user=pgha password=Sup3rS3cret"),
        record(2, "standby", "host=db2 port=5433"),
        record(4, "witness", "host=w port=6000"),
        record(5, "standby", "host=old port=5435", false),
    };
    CHECK(multi_host_conninfo(records, "primary", std::nullopt) ==
          "host=db1,db2,db3 port=5432,5433,5434 target_session_attrs=read-write");
    CHECK(multi_host_conninfo(records, "standby", std::string("2")) ==
          "host=db1,db2,db3 port=5432,5433,5434 target_session_attrs=standby connect_timeout=2");
    CHECK(multi_host_conninfo(records, "any", std::nullopt).ends_with("target_session_attrs=any"));
    CHECK_THAT(multi_host_conninfo(records, "any", std::nullopt), !Catch::Matchers::Contains("Sup3rS3cret"));
}

TEST_CASE("cluster conninfo refuses an unknown role and an empty cluster") {
    try {
        multi_host_conninfo({}, "leader", std::nullopt);
        FAIL("no error");
    } catch (const Error& error) {
        CHECK(error.code() == ExitCode::usage);
        CHECK_THAT(error.what(), Catch::Matchers::Contains("leader"));
    }
    try {
        multi_host_conninfo({record(4, "witness", "host=w")}, "any", std::nullopt);
        FAIL("no error");
    } catch (const Error& error) {
        CHECK(error.code() == ExitCode::refused);
    }
}

TEST_CASE("crosscheck: the majority of the sources that answered decides; a node does not vouch for itself") {
    // columns: node1 node2 node3; rows: this host, node1, node2, node3
    auto entries = crosscheck(grid({{Y, Y, N}, {Y, Y, N}, {Y, Y, Y}, {U, U, U}}));
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].seen_up == 2);   // this host, node2 (node1's own cell not counted)
    CHECK(entries[0].answered == 2);
    CHECK(entries[0].verdict == Reach::reachable);
    CHECK(entries[2].seen_up == 1);   // only node2 sees node3
    CHECK(entries[2].answered == 3);
    CHECK(entries[2].verdict == Reach::unreachable);
}

TEST_CASE("crosscheck: a tie or no answer is unknown") {
    auto entries = crosscheck(grid({{Y, N}, {Y, U}, {N, Y}}));
    CHECK(entries[0].verdict == Reach::unknown);  // this host up, node2 down: 1 of 2
    CHECK(entries[1].verdict == Reach::unreachable);  // this host down, node1 no answer
    auto none = crosscheck(grid({{U, U}, {U, U}, {U, U}}));
    CHECK(none[0].answered == 0);
    CHECK(none[0].verdict == Reach::unknown);
}

TEST_CASE("matrix notes say how to enable dblink and which sources could not be asked") {
    auto m = grid({{Y, N}, {U, U}, {U, U}});
    m.rows[1].problem = RowProblem::no_dblink;
    m.rows[2].problem = RowProblem::source_unreachable;
    auto notes = matrix_notes(m);
    REQUIRE(notes.size() == 2);
    CHECK_THAT(notes[0], Catch::Matchers::Contains("node2"));
    CHECK_THAT(notes[1], Catch::Matchers::Contains("CREATE EXTENSION dblink"));
    CHECK_THAT(notes[1], Catch::Matchers::Contains("\"node1\""));
}

TEST_CASE("matrix text: a row per source, node ids as columns, * x ?") {
    auto text = render_matrix(grid({{Y, N}, {Y, U}}), OutputFormat::table);
    CHECK_THAT(text, Catch::Matchers::StartsWith(" Name      | ID | 1 | 2\n"));
    CHECK_THAT(text, Catch::Matchers::Contains(" this host |    | * | x\n"));
    CHECK_THAT(text, Catch::Matchers::Contains(" node1     | 1  | * | ?\n"));
    auto doc = nlohmann::json::parse(render_matrix(grid({{Y, N}}), OutputFormat::json));
    CHECK(doc["rows"][0]["source"] == "this host");
    CHECK(doc["rows"][0]["source_node_id"].is_null());
    CHECK(doc["rows"][0]["targets"][1]["status"] == "unreachable");
}

TEST_CASE("service plans print the argv, quoted where a shell would need it") {
    CHECK(quote_argv({"/usr/bin/pg_ctl", "-D", "/data/my dir", "stop"}) == "/usr/bin/pg_ctl -D '/data/my dir' stop");
    CHECK(quote_argv({"echo", "it's"}) == "echo 'it'\\''s'");
    ServicePlan plan{ServiceAction::stop, true, {"pg_ctl", "-D", "/d", "-m", "fast", "stop"}};
    CHECK(describe_service_plan(plan) == "1. CHECKPOINT on this node\n2. pg_ctl -D /d -m fast stop\n");
}

TEST_CASE("node status --json has stable fields and counts slots") {
    NodeStatus s;
    s.node_id = 2;
    s.node_name = "node2";
    s.registered_type = "standby";
    s.role = "standby";
    s.timeline = 1;
    s.replayed_lsn = 0x3000148;
    s.lag_bytes = 4096;
    s.slots = {{"a", "physical", true}, {"b", "physical", false}};
    s.downstream = {{"node3", "127.0.0.1", "streaming", "async"}};
    auto doc = nlohmann::json::parse(render_node_status(s, OutputFormat::json));
    CHECK(doc["role"] == "standby");
    CHECK(doc["registered_type"] == "standby");
    CHECK(doc["replayed_lsn"] == "0/3000148");
    CHECK(doc["lag_bytes"] == 4096);
    CHECK(doc["slots_active"] == 1);
    CHECK(doc["slots_inactive"] == 1);
    CHECK(doc["downstream"][0]["application_name"] == "node3");
    auto text = render_node_status(s, OutputFormat::table);
    CHECK_THAT(text, Catch::Matchers::Contains("role: standby\n"));
    CHECK_THAT(text, Catch::Matchers::Contains("replication slots: 1 active (a), 1 inactive (b)\n"));
    CHECK_THAT(text, Catch::Matchers::Contains("downstream standbys: 1: node3 (streaming)\n"));
}
