#include <catch2/catch.hpp>

#include "http/auth.hpp"
#include "http/router.hpp"

using namespace pgha;

namespace {

const std::string secret = "s3cret";
const auto now = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'000));

HttpResponse ok_text(std::string body) {
    HttpResponse response;
    response.body = std::move(body);
    return response;
}

Router test_router() {
    Router router(secret);
    router.add("GET", "/health", [](const HttpRequest&) { return ok_text("up"); });
    router.add("POST", "/peer/vote", [](const HttpRequest& r) { return ok_text("vote:" + r.body); }, Access::peer);
    router.add("GET", "/peer/state", [](const HttpRequest&) { return ok_text("state"); }, Access::peer);
    router.add("GET", "/bad", [](const HttpRequest&) -> HttpResponse { throw BadRequest("lag=x is not a size"); });
    router.add("GET", "/broken", [](const HttpRequest&) -> HttpResponse {
        throw std::runtime_error("catalog query failed: internal detail");
    });
    router.add("GET", "/weird", [](const HttpRequest&) -> HttpResponse { throw 42; });
    return router;
}

HttpRequest request(std::string method, std::string path) {
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    return r;
}

}  // namespace

TEST_CASE("the router answers by method and path", "[http]") {
    auto router = test_router();
    auto response = router.dispatch(request("GET", "/health"), now);
    CHECK(response.status == 200);
    CHECK(response.body == "up");

    response = router.dispatch(request("GET", "/nowhere"), now);
    CHECK(response.status == 404);
    CHECK_THAT(response.body, Catch::Contains("/nowhere"));

    response = router.dispatch(request("DELETE", "/health"), now);
    CHECK(response.status == 405);
    CHECK_THAT(response.body, Catch::Contains("allowed: GET"));
    CHECK(router.dispatch(request("GET", "/peer/vote"), now).status == 405);
}

TEST_CASE("HEAD and OPTIONS are answered like GET on open routes", "[http]") {
    auto router = test_router();
    auto head = router.dispatch(request("HEAD", "/health"), now);
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    auto options = router.dispatch(request("OPTIONS", "/health"), now);
    CHECK(options.status == 200);
    CHECK(options.body == "up");
    // Not on peer routes: those need a signature over the real method.
    CHECK(router.dispatch(request("HEAD", "/peer/state"), now).status == 405);
    CHECK(router.dispatch(request("OPTIONS", "/nowhere"), now).status == 404);
}

TEST_CASE("peer routes require a valid signature", "[http]") {
    auto router = test_router();
    auto response = router.dispatch(request("POST", "/peer/vote"), now);
    CHECK(response.status == 401);
    CHECK_THAT(response.body, Catch::Contains("missing X-Pgha-Timestamp"));

    auto good = signed_request("POST", "/peer/vote", "{\"term\":3}", secret, now);
    response = router.dispatch(good, now);
    CHECK(response.status == 200);
    CHECK(response.body == "vote:{\"term\":3}");

    auto forged = signed_request("POST", "/peer/vote", "{}", "guess", now);
    response = router.dispatch(forged, now);
    CHECK(response.status == 401);
    CHECK_THAT(response.body, Catch::Contains("bad X-Pgha-Signature"));
    CHECK(response.body.find(secret) == std::string::npos);

    router.set_secret("");
    response = router.dispatch(good, now);
    CHECK(response.status == 401);
    CHECK_THAT(response.body, Catch::Contains("no cluster secret"));
}

TEST_CASE("handler failures become 400 or a generic 500, never an exception", "[http]") {
    auto router = test_router();
    auto response = router.dispatch(request("GET", "/bad"), now);
    CHECK(response.status == 400);
    CHECK_THAT(response.body, Catch::Contains("lag=x is not a size"));

    response = router.dispatch(request("GET", "/broken"), now);
    CHECK(response.status == 500);
    CHECK(response.body.find("internal detail") == std::string::npos);
    CHECK(router.dispatch(request("GET", "/weird"), now).status == 500);
}
