#pragma once
// pgha-docgen: the man pages and the bash completion, generated at build time
// from the tables pgha itself runs on (the command table and its
// program_options, the settings table, the health routes), so that they cannot
// drift from --help. Not installed.
#include <boost/program_options.hpp>

#include <map>
#include <string>
#include <vector>

namespace pgha::docgen {

namespace po = boost::program_options;

// One option as the man page and the completion show it.
struct OptionDoc {
    std::string long_name;     // "config-file"
    std::string short_name;    // "f", or ""
    bool takes_value = false;
    std::string default_value;  // "20", or "" without a default
    std::string description;
};

std::vector<OptionDoc> option_docs(const po::options_description& options);

// What a template's @MARKER@s are replaced by.
using Markers = std::map<std::string, std::string>;

// Markers of pgha.1.in: @GLOBAL_OPTIONS@, @OBJECTS@, @COMMANDS@, @EXIT_STATUS@.
Markers pgha_markers();

// Key descriptions, read from doc/settings.txt ("key: text", indented
// continuation lines, "[section]: text" for a table's introduction). Throws
// std::runtime_error naming the file and the key when it and the settings
// table disagree (a key missing, unknown or described twice).
struct SettingDocs {
    std::map<std::string, std::string> keys;
    std::map<std::string, std::string> sections;
};
SettingDocs read_setting_docs(const std::string& path);

// Markers of pgha.toml.5.in: @SETTINGS@, @RELOAD@, @SAMPLE@ (the sample file).
// Also those of pghad.8.in that come from the settings table: @IDENTITY_KEYS@,
// @RESTART_KEYS@.
Markers config_markers(const SettingDocs& docs, const std::string& sample_text);

// Markers of pghad.8.in: @ENDPOINTS@, every documented open endpoint checked
// against the daemon's routes (throws std::runtime_error for one not routed).
Markers daemon_markers();

// The bash completion script for pgha.
std::string bash_completion();

}  // namespace pgha::docgen
