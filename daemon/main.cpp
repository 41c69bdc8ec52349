// pghad -f pgha.toml: the per-node daemon, in the foreground, logging dated
// lines to stderr (or [daemon] log_file). SIGHUP reopens the log file and
// reloads the configuration (an invalid one is refused and the old one kept);
// SIGTERM and SIGINT stop it cleanly.
#include "http/asio_compat.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstring>
#include <string>

#include "config/config.hpp"
#include "core/error.hpp"
#include "core/error_print.hpp"
#include "core/log.hpp"
#include "http/auth.hpp"
#include "monitor/daemon.hpp"

// GnuTLS's documented opt-out of its implicit initialisation when the library
// is loaded (GNUTLS_SKIP_GLOBAL_INIT in gnutls/gnutls.h; C linkage, so not the
// macro itself). pghad never uses GnuTLS: only libldap, pulled in by libpq,
// links it, and libldap calls gnutls_global_init() itself before any TLS use.
// Skipping it keeps ~0.8 MB of start-up work (ASN.1 trees, crypto back-ends)
// out of the idle daemon's resident memory. daemon/CMakeLists.txt exports the
// symbol so that libgnutls's constructor sees it.
extern "C" int _gnutls_global_init_skip(void) { return 1; }

namespace {

int usage(const std::string& text) {
    pgha::print_error(pgha::usage_error(text, "run \"pghad --help\""));
    return static_cast<int>(pgha::ExitCode::usage);
}

// Before the log is set up on stderr, as the CLI prints it; after, through the
// log, so that each of its lines is dated like every other line of the file.
int report(const pgha::Error& error, bool logging) {
    if (logging) pgha::log::write(pgha::log::Level::error, pgha::format_error(error));
    else pgha::print_error(error);
    return static_cast<int>(error.code());
}

// The secret, or "" (peer requests refused) with a warning.
std::string secret_of(const pgha::Config& config) {
    if (config.daemon.secret_file.empty()) {
        pgha::log::warning("[daemon] secret_file is not set: peer requests are refused, so this daemon takes no "
                           "part in heartbeats, votes or pause");
        return {};
    }
    std::string error;
    auto secret = pgha::load_secret(config.daemon.secret_file, error);
    if (!secret)
        throw pgha::Error(pgha::ExitCode::usage, "cannot read [daemon] secret_file " + config.daemon.secret_file, error,
                          "create it with the same random text on every node, readable only by the daemon's user");
    return *secret;
}

void apply_log_level(const pgha::Config& config) {
    pgha::log::Level level;
    if (pgha::log::parse_level(config.daemon.log_level, level)) pgha::log::set_level(level);
}

void start_logging(const pgha::Config& config) {
    apply_log_level(config);
    if (config.daemon.log_file.empty()) return;
    if (auto problem = pgha::log::open_file(config.daemon.log_file))
        throw pgha::Error(pgha::ExitCode::usage, "cannot open [daemon] log_file " + config.daemon.log_file, *problem,
                          "check that its directory exists and is writable by the daemon's user");
}

// SIGHUP after logrotate moved the file: a fresh file at the same path. On
// failure the old file (still open) says why.
void reopen_log_file(const std::string& path) {
    if (path.empty()) return;
    if (auto problem = pgha::log::open_file(path))
        pgha::log::warning("cannot reopen [daemon] log_file {}: {}; still writing to the file open before", path,
                           *problem);
}

// Daemon::reload refuses a change of identity and keeps the old configuration; so does the log level.
bool same_identity(const pgha::Config& a, const pgha::Config& b) {
    return a.node_id == b.node_id && a.node_name == b.node_name;
}

}  // namespace

int main(int argc, char** argv) {
    pgha::log::set_timestamps(true);
    std::string path;
    bool check_only = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if ((arg == "-f" || arg == "--config-file") && i + 1 < argc) path = argv[++i];
        else if (arg.starts_with("--config-file=")) path = arg.substr(std::strlen("--config-file="));
        else if (arg == "--check") check_only = true;
        else if (arg == "--help") {
            std::puts("Usage: pghad -f pgha.toml [--check]\n\n"
                      "Runs the pgha daemon of this node in the foreground: monitoring, HTTP health checks\n"
                      "(/primary, /replica, /health, /status, /metrics), the primary's lease and automatic\n"
                      "failover. SIGHUP reloads the configuration, SIGTERM stops.\n"
                      "--check only validates the configuration and exits.\n"
                      "Exit codes: 0 stopped cleanly or valid, 1 invalid configuration or usage.");
            return 0;
        } else {
            return usage("unknown argument \"" + arg + "\"");
        }
    }
    if (path.empty()) return usage("no configuration file given (-f /etc/pgha/pgha.toml)");
    bool logging = false;
    try {
        auto config = pgha::load_config(path);
        if (check_only) {
            std::printf("configuration \"%s\" is valid (node \"%s\", ID %d)\n", path.c_str(),
                        config.node_name.c_str(), config.node_id);
            return 0;
        }
        start_logging(config);
        logging = true;
        boost::asio::io_context io;
        pgha::Daemon daemon(io, config, secret_of(config));
        boost::asio::signal_set stop_signals(io, SIGTERM, SIGINT);
        boost::asio::signal_set reload_signal(io, SIGHUP);
        stop_signals.async_wait([&](const boost::system::error_code&, int signal) {
            pgha::log::info("signal {}: stopping", signal);
            daemon.stop();
            reload_signal.cancel();  // nothing may keep the loop running after a stop
        });
        std::function<void()> wait_reload = [&] {
            reload_signal.async_wait([&](const boost::system::error_code& error, int) {
                if (error) return;
                reopen_log_file(config.daemon.log_file);  // log_file itself changes only with a restart
                try {
                    auto fresh = pgha::load_config(path);
                    daemon.reload(fresh, secret_of(fresh));
                    if (same_identity(fresh, config)) apply_log_level(fresh);
                } catch (const pgha::Error& e) {
                    pgha::log::warning("reload refused, keeping the old configuration:\n{}", pgha::format_error(e));
                }
                wait_reload();
            });
        };
        wait_reload();
        daemon.start();
        io.run();
        return 0;
    } catch (const pgha::Error& error) {
        return report(error, logging);
    }
}
