// pgha-docgen, run by the build (doc/CMakeLists.txt):
//   pgha-docgen man TEMPLATE OUTPUT --settings doc/settings.txt --sample conf/pgha.toml.sample --date DATE
//   pgha-docgen completion OUTPUT
// A man page is its template (doc/*.in) with every @MARKER@ replaced by what
// the tables say; a marker nobody fills is an error, so is any drift the
// generators detect. The output is written only when everything succeeded.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "docgen.hpp"

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

void write_file(const std::string& path, const std::string& text) {
    auto temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << text;
        if (!out.flush()) throw std::runtime_error("cannot write " + temporary);
    }
    std::filesystem::rename(temporary, path);
}

std::string fill(const std::string& template_path, const std::string& text, const pgha::docgen::Markers& markers) {
    static const std::regex marker("@([A-Z_]+)@");
    std::string out;
    auto last = text.cbegin();
    for (std::sregex_iterator it(text.begin(), text.end(), marker), end; it != end; ++it) {
        auto name = (*it)[1].str();
        auto found = markers.find(name);
        if (found == markers.end()) throw std::runtime_error(template_path + ": unknown marker @" + name + "@");
        out.append(last, (*it)[0].first);
        out += found->second;
        last = (*it)[0].second;
    }
    out.append(last, text.cend());
    return out;
}

struct Arguments {
    std::vector<std::string> positional;
    std::map<std::string, std::string> named;  // --settings FILE
};

Arguments parse(int argc, char** argv) {
    Arguments out;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.starts_with("--")) {
            if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
            out.named[arg.substr(2)] = argv[++i];
        } else {
            out.positional.push_back(arg);
        }
    }
    return out;
}

std::string need(const Arguments& arguments, const std::string& name) {
    auto it = arguments.named.find(name);
    if (it == arguments.named.end()) throw std::runtime_error("--" + name + " is required");
    return it->second;
}

int run(const Arguments& arguments) {
    using namespace pgha::docgen;
    const auto& words = arguments.positional;
    if (words.size() == 2 && words[0] == "completion") {
        write_file(words[1], bash_completion());
        return 0;
    }
    if (words.size() == 3 && words[0] == "man") {
        Markers markers = {{"VERSION", PGHA_VERSION}, {"DATE", need(arguments, "date")}};
        markers.merge(pgha_markers());
        markers.merge(daemon_markers());
        markers.merge(config_markers(read_setting_docs(need(arguments, "settings")),
                                     read_file(need(arguments, "sample"))));
        write_file(words[2], fill(words[1], read_file(words[1]), markers));
        return 0;
    }
    std::fputs("usage: pgha-docgen man TEMPLATE OUTPUT --settings FILE --sample FILE --date DATE\n"
               "       pgha-docgen completion OUTPUT\n",
               stderr);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "pgha-docgen: %s\n", error.what());
        return 1;
    }
}
