#include "report.hpp"

#include "command.hpp"
#include "core/error.hpp"
#include "output/render.hpp"

namespace pgha::cli {

int finish_dry_run(const Checks& checks, const std::vector<std::string>& plan, OutputFormat format,
                   const std::string& command) {
    print(render_checks(checks, format));
    if (!all_passed(checks))
        throw refused(command + " --dry-run: a check failed (see [FAIL] above); nothing was changed");
    if (format == OutputFormat::table) {
        for (const auto& step : plan) print("dry run: " + step);
        print("dry run: all checks passed; nothing was changed");
    }
    return 0;
}

}  // namespace pgha::cli
