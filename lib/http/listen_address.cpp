#include "http/listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace pgha {

std::optional<ListenAddress> parse_listen_address(const std::string& text) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
    ListenAddress address;
    address.host = text.substr(0, colon);
    in_addr ignored{};
    if (inet_pton(AF_INET, address.host.c_str(), &ignored) != 1) return std::nullopt;
    const char* first = text.data() + colon + 1;
    const char* last = text.data() + text.size();
    auto [end, ec] = std::from_chars(first, last, address.port);
    if (ec != std::errc() || end != last) return std::nullopt;
    return address;
}

}  // namespace pgha
