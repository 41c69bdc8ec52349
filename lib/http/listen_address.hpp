#pragma once
// `[daemon] listen = "127.0.0.1:8008"`: an IPv4 address and a port (0 = any free port).
#include <optional>
#include <string>

namespace pgha {

struct ListenAddress {
    std::string host;  // dotted IPv4
    unsigned short port = 0;
};

// nullopt when `text` is not "a.b.c.d:port"; the caller names the setting.
std::optional<ListenAddress> parse_listen_address(const std::string& text);

}  // namespace pgha
