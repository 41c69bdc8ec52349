#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "hooks/placeholders.hpp"
#include "process/command_line.hpp"

using namespace pgha;
using Argv = std::vector<std::string>;

TEST_CASE("commands split into words like a shell would, without running anything") {
    CHECK(split_command("/bin/hook %n %e") == Argv{"/bin/hook", "%n", "%e"});
    CHECK(split_command("  a   'b c'  \"d \\\"e\\\"\" f\\ g ") == Argv{"a", "b c", "d \"e\"", "f g"});
    CHECK(split_command("x '$(rm -rf /)' ; y") == Argv{"x", "$(rm -rf /)", ";", "y"});
    CHECK(split_command("") == Argv{});
    CHECK_THROWS_AS(split_command("hook 'unterminated"), Error);
}

TEST_CASE("placeholders are substituted inside each argument") {
    Event event;
    event.node_id = 3;
    event.node_name = "node3";
    event.type = "standby_register";
    event.successful = false;
    event.timestamp = "2026-11-22T10:00:00.000Z";
    event.details = "it's \"quoted\"; $(touch /tmp/pwned) `id`";
    event.peer_node_id = 1;
    event.new_primary_conninfo = "host=db1 port=5432";
    auto argv = expand_placeholders(split_command("/hook %n %a %e %s %t %d %p %c --x=%n%% %q"), event);
    CHECK(argv == Argv{"/hook", "3", "node3", "standby_register", "0", "2026-11-22T10:00:00.000Z",
                       "it's \"quoted\"; $(touch /tmp/pwned) `id`", "1", "host=db1 port=5432", "--x=3%", "%q"});
}

TEST_CASE("an absent peer expands to an empty argument, not to nothing") {
    Event event;
    auto argv = expand_placeholders(Argv{"/hook", "%p", "end"}, event);
    CHECK(argv == Argv{"/hook", "", "end"});
}
