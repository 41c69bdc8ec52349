#include "http/message.hpp"

namespace pgha {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            int high = hex_value(text[i + 1]);
            int low = hex_value(text[i + 2]);
            if (high >= 0 && low >= 0) {
                out += static_cast<char>(high * 16 + low);
                i += 2;
                continue;
            }
        }
        out += (plus_is_space && c == '+') ? ' ' : c;
    }
    return out;
}

// RFC 3986 unreserved characters travel as they are; everything else as %XX.
void percent_encode(std::string& out, std::string_view text, bool keep_slash) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (char c : text) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
        if (plain) {
            out += c;
            continue;
        }
        auto byte = static_cast<unsigned char>(c);
        out += '%';
        out += hex[byte >> 4];
        out += hex[byte & 0xF];
    }
}

}  // namespace

std::pair<std::string, std::map<std::string, std::string>> parse_target(std::string_view target) {
    auto mark = target.find('?');
    std::string path = percent_decode(target.substr(0, mark), false);
    std::map<std::string, std::string> query;
    if (mark == std::string_view::npos) return {path, query};

    std::string_view rest = target.substr(mark + 1);
    if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        std::string name = percent_decode(pair.substr(0, eq), true);
        std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
        query[std::move(name)] = std::move(value);
    }
    return {path, query};
}

std::string build_target(const std::string& path, const std::map<std::string, std::string>& query) {
    std::string target;
    percent_encode(target, path.empty() ? "/" : path, true);
    char separator = '?';
    for (const auto& [name, value] : query) {
        target += separator;
        percent_encode(target, name, false);
        target += '=';
        percent_encode(target, value, false);
        separator = '&';
    }
    return target;
}

std::string_view status_text(int status) {
    switch (status) {
        case 200: return "OK";
        case 204: return "No Content";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 413: return "Payload Too Large";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "Unknown";
    }
}

}  // namespace pgha
