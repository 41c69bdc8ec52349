#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "pg/conninfo.hpp"

using namespace pgha;

TEST_CASE("redact_conninfo removes the password and keeps the rest") {
    auto redacted = pg::redact_conninfo("host=db1 port=5432 user=pgha password=Sup3rS3cret dbname=pgha");
    CHECK_THAT(redacted, !Catch::Matchers::Contains("Sup3rS3cret"));
    CHECK_THAT(redacted, !Catch::Matchers::Contains("password"));
    CHECK_THAT(redacted, Catch::Matchers::Contains("host=db1"));
    CHECK_THAT(redacted, Catch::Matchers::Contains("user=pgha"));
}

TEST_CASE("redact_conninfo handles URIs and quoted passwords") {
    CHECK_THAT(pg::redact_conninfo("postgresql://pgha:Sup3rS3cret@db1:5432/pgha"), !Catch::Matchers::Contains("Sup3rS3cret"));
    CHECK_THAT(pg::redact_conninfo("host=db1 password='a b\\'c'"), !Catch::Matchers::Contains("a b"));
}

TEST_CASE("an invalid conninfo is hidden whole, since it may hold a password") {
    CHECK(pg::redact_conninfo("host=db1 password='unterminated") == "(connection string hidden: it is not valid)");
    CHECK(pg::conninfo_problem("host=db1 password='unterminated"));
    CHECK_FALSE(pg::conninfo_problem("host=db1 port=5432"));
    CHECK_THROWS_AS(pg::parse_conninfo("nonsense"), Error);
}

TEST_CASE("conninfo_with overrides and adds keywords, quoting values") {
    auto out = pg::conninfo_with("host=db1 user=app", {{"user", "pgha"}, {"application_name", "node 2's"}});
    CHECK(pg::conninfo_value(out, "user") == "pgha");
    CHECK(pg::conninfo_value(out, "host") == "db1");
    CHECK(pg::conninfo_value(out, "application_name") == "node 2's");
}

TEST_CASE("conninfo_label names host and port for messages") {
    CHECK(pg::conninfo_label("host=db1 port=6543 password=x") == "host=db1 port=6543");
    CHECK(pg::conninfo_label("dbname=x") == "host=local socket port=5432");
}
