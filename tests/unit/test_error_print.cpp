#include <catch2/catch.hpp>

#include "core/error_print.hpp"

using namespace pgha;

TEST_CASE("an error prints as ERROR, then DETAIL and HINT when set") {
    CHECK(format_error(Error(ExitCode::refused, "node 3 is not registered", "no row in pgha.nodes",
                             "list the nodes with \"pgha cluster show\"")) ==
          "ERROR: node 3 is not registered\n"
          "DETAIL: no row in pgha.nodes\n"
          "HINT: list the nodes with \"pgha cluster show\"\n");
    CHECK(format_error(usage_error("unknown object \"nodes\"", "run \"pgha --help\"")) ==
          "ERROR: unknown object \"nodes\"\nHINT: run \"pgha --help\"\n");
    CHECK(format_error(Error(ExitCode::connect, "cannot connect", "refused")) ==
          "ERROR: cannot connect\nDETAIL: refused\n");
    CHECK(format_error(refused("nothing to do")) == "ERROR: nothing to do\n");
}
