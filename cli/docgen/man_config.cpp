// The generated parts of pgha.toml(5) and the reload lists of pghad(8): the
// settings table (lib/config/config.cpp) with each key's default and reload
// class, and the descriptions in doc/settings.txt, which must cover exactly
// the table's keys.
#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "config/config.hpp"
#include "docgen.hpp"
#include "roff.hpp"

namespace pgha::docgen {
namespace {

std::string section_of(const std::string& key) {
    auto dot = key.rfind('.');
    return dot == std::string::npos ? "" : key.substr(0, dot);
}

std::set<std::string> table_sections() {
    std::set<std::string> out;
    for (const auto& setting : config_settings()) out.insert(section_of(setting.key));
    return out;
}

std::string reload_text(ReloadClass reload) {
    switch (reload) {
    case ReloadClass::reloadable: return "Reload: a SIGHUP applies a new value.";
    case ReloadClass::restart: return "Reload: a new value applies when pghad restarts (a SIGHUP keeps the running one).";
    case ReloadClass::identity: return "Reload: a SIGHUP with a changed value is refused as a whole.";
    }
    return {};
}

std::string keys_of(ReloadClass reload) {
    std::vector<std::string> keys;
    for (const auto& setting : config_settings())
        if (setting.reload == reload) keys.push_back(roff::bold(setting.key));
    return fmt::format("{}", fmt::join(keys, ", "));
}

std::string settings(const SettingDocs& docs) {
    std::string out, section = "\x01";
    for (const auto& setting : config_settings()) {
        auto key_section = section_of(setting.key);
        if (key_section != section) {
            section = key_section;
            out += section.empty() ? ".SS \"Top level\"\n" : fmt::format(".SS \"[{}]\"\n", section);
            if (auto it = docs.sections.find(section); it != docs.sections.end())
                out += roff::text_block(it->second);
        }
        out += ".TP\n" + roff::bold(setting.key);
        if (setting.required) out += " (required; example: " + roff::escape(setting.default_text) + ")\n";
        else out += " = " + roff::escape(setting.default_text) + "\n";
        out += roff::escape(docs.keys.at(setting.key)) + "\n";
        out += ".br\n" + roff::escape(reload_text(setting.reload)) + "\n";
    }
    return out;
}

std::string sample(const std::string& text) {
    std::string out = ".RS 2\n.nf\n";
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out += roff::escape(line) + "\n";
    return out + ".fi\n.RE\n";
}

}  // namespace

SettingDocs read_setting_docs(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    SettingDocs docs;
    std::string* current = nullptr;
    std::set<std::string> keys;
    for (const auto& key : config_keys()) keys.insert(key);
    auto sections = table_sections();
    int number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        auto where = fmt::format("{}, line {}", path, number);
        if (line.empty() || line[0] == '#') continue;
        if (line[0] == ' ' || line[0] == '\t') {
            if (!current) throw std::runtime_error(where + ": continuation line without a key before it");
            *current += " " + line.substr(line.find_first_not_of(" \t"));
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string::npos) throw std::runtime_error(where + ": expected \"key: description\"");
        auto name = line.substr(0, colon);
        auto rest = line.substr(colon + 1);
        auto first = rest.find_first_not_of(' ');
        auto text = first == std::string::npos ? std::string() : rest.substr(first);
        auto& target = name.starts_with("[") ? docs.sections : docs.keys;
        if (name.starts_with("[")) {
            name = name.substr(1, name.size() - 2);
            if (!sections.count(name) || name.empty())
                throw std::runtime_error(where + ": [" + name + "] is not a section of the settings table");
        } else if (!keys.count(name)) {
            throw std::runtime_error(where + ": \"" + name +
                                     "\" is not a key of the settings table (lib/config/config.cpp); remove it");
        }
        if (target.count(name)) throw std::runtime_error(where + ": \"" + name + "\" is described twice");
        current = &(target[name] = text);
    }
    for (const auto& key : config_keys())
        if (!docs.keys.count(key))
            throw std::runtime_error(path + ": no description of \"" + key +
                                     "\", a key of the settings table (lib/config/config.cpp); add one");
    return docs;
}

Markers config_markers(const SettingDocs& docs, const std::string& sample_text) {
    return {
        {"SETTINGS", settings(docs)},
        {"SAMPLE", sample(sample_text)},
        {"IDENTITY_KEYS", keys_of(ReloadClass::identity)},
        {"RESTART_KEYS", keys_of(ReloadClass::restart)},
    };
}

}  // namespace pgha::docgen
