// The bash completion of pgha: objects, their verbs, and each command's
// options with the global ones, all from the command table.
#include <fmt/format.h>

#include <set>
#include <stdexcept>

#include "../command.hpp"
#include "../help.hpp"
#include "docgen.hpp"

namespace pgha::docgen {
namespace {

// How an option's value is completed, where something useful can be offered.
struct ValueCompletion {
    std::string option;  // long name
    std::string compgen;  // compgen arguments
};

const std::vector<ValueCompletion>& value_completions() {
    static const std::vector<ValueCompletion> list = {
        {"config-file", "-f"},
        {"pgdata", "-d"},
        {"log-level", "-W 'debug info notice warning error'"},
        {"action", "-W 'start stop restart reload'"},
    };
    return list;
}

std::vector<std::string> names(const std::vector<OptionDoc>& options) {
    std::vector<std::string> out;
    for (const auto& option : options) {
        out.push_back("--" + option.long_name);
        if (!option.short_name.empty()) out.push_back("-" + option.short_name);
    }
    return out;
}

std::string joined(const std::vector<std::string>& words) { return fmt::format("{}", fmt::join(words, " ")); }

}  // namespace

std::string bash_completion() {
    auto globals = option_docs(cli::global_options());
    std::set<std::string> value_options;  // "--limit", "-f": the next word is their value
    std::map<std::string, std::vector<std::string>> spellings_of;  // long name -> "--name", "-n"
    std::string command_cases, verb_cases;
    std::vector<std::string> objects;
    auto note = [&](const std::vector<OptionDoc>& options) {
        for (const auto& option : options) {
            auto& spellings = spellings_of[option.long_name];
            if (spellings.empty()) spellings.push_back("--" + option.long_name);
            if (!option.short_name.empty()) spellings.push_back("-" + option.short_name);
            if (!option.takes_value) continue;
            value_options.insert("--" + option.long_name);
            if (!option.short_name.empty()) value_options.insert("-" + option.short_name);
        }
    };
    note(globals);
    std::map<std::string, std::vector<std::string>> verbs;
    for (const auto& command : cli::all_commands()) {
        if (!verbs.count(command.object)) objects.push_back(command.object);
        verbs[command.object].push_back(command.verb);
        if (!command.add_options) continue;
        po::options_description specific;
        command.add_options(specific);
        auto options = option_docs(specific);
        note(options);
        command_cases += fmt::format("        \"{} {}\") options+=\" {}\" ;;\n", command.object, command.verb,
                                     joined(names(options)));
    }
    for (const auto& object : objects)
        verb_cases += fmt::format("            {}) words=\"{}\" ;;\n", object, joined(verbs[object]));
    std::string value_cases;
    for (const auto& completion : value_completions()) {
        auto it = spellings_of.find(completion.option);
        if (it == spellings_of.end())
            throw std::runtime_error("cli/docgen/completion.cpp completes the value of --" + completion.option +
                                     ", which no pgha command has; update it");
        value_cases += fmt::format("        {}) COMPREPLY=($(compgen {} -- \"$cur\")); return ;;\n",
                                   fmt::format("{}", fmt::join(it->second, "|")), completion.compgen);
    }
    return fmt::format(R"(# bash completion for pgha(1): objects, verbs, options.
# Generated from pgha's command table by pgha-docgen; do not edit.
_pgha() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev= i word object= verb= words
    local value_options=" {value_options} "
    # COMP_WORDBREAKS splits "--limit=5" into "--limit" "=" "5".
    [[ $cur == = ]] && cur=
    if ((COMP_CWORD > 1)) && [[ ${{COMP_WORDS[COMP_CWORD-1]}} == = ]]; then
        prev=${{COMP_WORDS[COMP_CWORD-2]}}
    elif ((COMP_CWORD > 0)); then
        prev=${{COMP_WORDS[COMP_CWORD-1]}}
        [[ ${{COMP_WORDS[COMP_CWORD]}} == = ]] && cur=
    fi
    case $prev in
{value_cases}    esac
    [[ $value_options == *" $prev "* ]] && return 0
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${{COMP_WORDS[i]}}
        if [[ $word == -* ]]; then
            if [[ $value_options == *" $word "* ]]; then
                ((i++))
                [[ ${{COMP_WORDS[i]}} == = ]] && ((i++))
            fi
            continue
        fi
        if [[ -z $object ]]; then object=$word; elif [[ -z $verb ]]; then verb=$word; fi
    done
    local options="{global_options}"
    case "$object $verb" in
{command_cases}    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
    elif [[ -z $object ]]; then
        COMPREPLY=($(compgen -W "{objects}" -- "$cur"))
    elif [[ -z $verb ]]; then
        case $object in
{verb_cases}            *) words= ;;
        esac
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    fi
    return 0
}}
complete -F _pgha pgha
)",
                       fmt::arg("value_options", joined({value_options.begin(), value_options.end()})),
                       fmt::arg("value_cases", value_cases), fmt::arg("global_options", joined(names(globals))),
                       fmt::arg("command_cases", command_cases), fmt::arg("objects", joined(objects)),
                       fmt::arg("verb_cases", verb_cases));
}

}  // namespace pgha::docgen
