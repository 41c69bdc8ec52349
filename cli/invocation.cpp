// What every command's run() is given, and its one way to print.
#include <cstdio>

#include "command.hpp"
#include "report.hpp"

namespace pgha::cli {

const Config& Invocation::config() {
    if (!config_) {
        config_ = load_config(config_path_);
        if (report_) report_->this_node({config_->node_id, config_->node_name});
    }
    return *config_;
}

void print(const std::string& text) {
    std::fputs(text.c_str(), stdout);
    if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
    std::fflush(stdout);
}

}  // namespace pgha::cli
