// conf/pgha.toml.sample cannot drift from the settings table: every setting is
// in it with the table's default, it has no key the table lacks, and the
// table's defaults are Config's own.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/config.hpp"

using namespace pgha;

namespace {

std::string trim(const std::string& text) {
    auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) return "";
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The value as written, without the comment after it: up to the first '#'
// outside a string.
std::string value_text(const std::string& rest) {
    bool in_string = false;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        if (in_string && rest[i] == '\\') ++i;
        else if (rest[i] == '"') in_string = !in_string;
        else if (rest[i] == '#' && !in_string) return trim(rest.substr(0, i));
    }
    return trim(rest);
}

// Dotted key -> value text, read from a file of `[section]` headers and
// `key = value  # comment` lines (all the sample uses). Repeated keys: the list.
std::multimap<std::string, std::string> written_values(const std::string& text) {
    std::multimap<std::string, std::string> values;
    std::istringstream in(text);
    std::string line, section;
    while (std::getline(in, line)) {
        auto content = trim(line);
        if (content.empty() || content[0] == '#') continue;
        if (content[0] == '[') {
            section = trim(content.substr(1, content.find(']') - 1));
            continue;
        }
        auto equals = content.find('=');
        REQUIRE(equals != std::string::npos);
        auto key = trim(content.substr(0, equals));
        values.emplace(section.empty() ? key : section + "." + key, value_text(content.substr(equals + 1)));
    }
    return values;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// A TOML file of every setting at the table's default (required keys: examples).
std::string table_as_toml() {
    std::string out, section;
    for (const auto& setting : config_settings()) {
        auto dot = setting.key.rfind('.');
        auto key_section = dot == std::string::npos ? "" : setting.key.substr(0, dot);
        if (key_section != section) out += "[" + (section = key_section) + "]\n";
        out += setting.key.substr(dot == std::string::npos ? 0 : dot + 1) + " = " + setting.default_text + "\n";
    }
    return out;
}

}  // namespace

TEST_CASE("the sample config parses and lists every setting with the table's default") {
    CHECK_NOTHROW(load_config(PGHA_SAMPLE_CONFIG));
    auto written = written_values(read_file(PGHA_SAMPLE_CONFIG));
    for (const auto& setting : config_settings()) {
        INFO(setting.key);
        REQUIRE(written.count(setting.key) == 1);
        CHECK(written.find(setting.key)->second == setting.default_text);
    }
    auto keys = config_keys();
    std::set<std::string> known(keys.begin(), keys.end());
    for (const auto& [key, value] : written) {
        INFO(key);
        CHECK(known.count(key) == 1);
    }
}

TEST_CASE("the settings table's defaults are Config's defaults") {
    auto from_table = parse_config(table_as_toml(), "table.toml");
    Config defaults;
    for (const auto& setting : config_settings()) {
        if (setting.required) continue;  // no default: the table holds an example
        INFO(setting.key);
        CHECK(setting.show(from_table) == setting.show(defaults));
    }
}

TEST_CASE("the value reader keeps a '#' inside a string and drops a trailing comment") {
    auto values = written_values("a = \"x # y\"  # note\n[s]\nb = []\n");
    CHECK(values.find("a")->second == "\"x # y\"");
    CHECK(values.find("s.b")->second == "[]");
}
