// ascpp::api::client over the network, against an in-process HTTP server on loopback: every
// operation's request (method, path, query, token, body checked against the spec), paging,
// errors, retries, rate limits, token renewal, origin confinement, completion styles, threads.
#include <boost/test/unit_test.hpp>

#include "test_server.hpp"

#include <ascpp/api/client.hpp>
#include <ascpp/api/json.hpp>
#include <ascpp/auth/base64url.hpp>
#include <ascpp/auth/error.hpp>
#include <ascpp/http/client.hpp>

#include <support/spec_validator.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "api_client_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace api = ascpp::api;
namespace auth = ascpp::auth;
namespace asio = boost::asio;
namespace json = boost::json;
using ascpp::test::canned_response;
using ascpp::test::recorded_request;
using ascpp::test::spec_validator;
using ascpp::test::test_server;
using namespace std::chrono_literals;

namespace {

// Called by routes on the server's thread, where Boost.Test's macros must not be used (they are
// not thread-safe): a missing fixture throws, and the request the test sent fails.
std::string fixture(const std::string& name) {
    const char* src = std::getenv("ASCPP_SOURCE_DIR");
    if (!src)
        throw std::runtime_error("ASCPP_SOURCE_DIR is not set");
    std::ifstream in(std::filesystem::path(src) / "test" / "api" / "fixtures" / name);
    if (!in)
        throw std::runtime_error("missing fixture " + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

canned_response ok(std::string body, unsigned status = 200) {
    canned_response r;
    r.status = status;
    r.body = std::move(body);
    r.headers["X-Rate-Limit"] = "user-hour-lim:3600;user-hour-rem:3000;";
    r.headers["x-request-id"] = "req-ok";
    return r;
}

canned_response error_response(unsigned status, std::string request_id = "req-err") {
    canned_response r;
    r.status = status;
    r.body = fixture("ErrorResponse." + std::to_string(status) + ".json");
    r.headers["x-request-id"] = std::move(request_id);
    return r;
}

// An io_context run by `threads` background threads for the whole test.
struct runner {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::vector<std::thread> threads;
    explicit runner(int n = 1) {
        for (int i = 0; i < n; ++i)
            threads.emplace_back([this] { io.run(); });
    }
    ~runner() {
        guard.reset();
        io.stop();
        for (auto& t : threads)
            t.join();
    }
    template <class T>
    T run(asio::awaitable<T> op) {
        auto f = asio::co_spawn(io, std::move(op), asio::use_future);
        // Waited for outside the macro: Boost.Test is not thread-safe, and the macro's checkpoint
        // would be written while the operation may still run test code on the io thread.
        const bool ready = f.wait_for(60s) == std::future_status::ready;
        BOOST_REQUIRE_MESSAGE(ready, "operation hung");
        return f.get();
    }
};

struct fixture_env {
    auth::private_key key = auth::private_key::generate();
    auth::public_key public_key = auth::public_key::from_pem(key.public_key_pem());

    api::client_config config(const test_server& server) const {
        api::client_config c;
        c.base_url = server.url();
        c.key_id = "TESTKEY123";
        c.issuer_id = "69a6de70-03db-47e3-e053-5b8c7c11a4d1";
        c.private_key = key;
        c.retry.initial_delay = 1ms;
        c.retry.max_delay = 5ms;
        return c;
    }

    // The request carried a bearer token signed by our key, with the expected claims.
    bool token_ok(const recorded_request& r) const {
        auto h = r.header("authorization");
        if (h.rfind("Bearer ", 0) != 0)
            return false;
        auto token = h.substr(7);
        auto dot = token.rfind('.');
        auto sig = auth::base64url_decode(token.substr(dot + 1));
        if (!sig || !public_key.verify_es256(token.substr(0, dot), *sig))
            return false;
        auto first = token.find('.');
        auto payload = auth::base64url_decode(token.substr(first + 1, dot - first - 1));
        auto claims = json::parse(*payload).as_object();
        return claims.at("aud").as_string() == "appstoreconnect-v1" &&
               claims.at("iss").as_string() == "69a6de70-03db-47e3-e053-5b8c7c11a4d1";
    }
};

// Serves every operation with the canned documents, by method and path.
canned_response route(const recorded_request& r) {
    const std::string p = r.path();
    auto starts = [&](std::string_view prefix) { return p.rfind(prefix, 0) == 0; };
    auto ends = [&](std::string_view suffix) {
        return p.size() >= suffix.size() &&
               p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (r.method == "GET" && starts("/v1/apps/") && ends("/relationships/backgroundAssets"))
        return ok(fixture("AppBackgroundAssetsLinkagesResponse.json"));
    if (r.method == "GET" && starts("/v1/apps/") && ends("/backgroundAssets"))
        return ok(fixture("BackgroundAssetsResponse.json"));
    if (r.method == "POST" && p == "/v1/backgroundAssets")
        return ok(fixture("BackgroundAssetResponse.json"), 201);
    if (r.method == "GET" && starts("/v1/backgroundAssets/") && ends("/relationships/versions"))
        return ok(fixture("BackgroundAssetVersionsLinkagesResponse.json"));
    if (r.method == "GET" && starts("/v1/backgroundAssets/") && ends("/versions"))
        return ok(fixture("BackgroundAssetVersionsResponse.json"));
    if ((r.method == "GET" || r.method == "PATCH") && starts("/v1/backgroundAssets/"))
        return ok(fixture("BackgroundAssetResponse.json"));
    if (r.method == "POST" && p == "/v1/backgroundAssetVersions")
        return ok(fixture("BackgroundAssetVersionResponse.json"), 201);
    if (r.method == "GET" && starts("/v1/backgroundAssetVersions/") &&
        ends("/relationships/backgroundAssetUploadFiles"))
        return ok(fixture("BackgroundAssetVersionBackgroundAssetUploadFilesLinkagesResponse.json"));
    if (r.method == "GET" && starts("/v1/backgroundAssetVersions/") &&
        ends("/backgroundAssetUploadFiles"))
        return ok(fixture("BackgroundAssetUploadFilesResponse.json"));
    if (r.method == "GET" && starts("/v1/backgroundAssetVersions/"))
        return ok(fixture("BackgroundAssetVersionResponse.json"));
    if (r.method == "POST" && p == "/v1/backgroundAssetUploadFiles")
        return ok(fixture("BackgroundAssetUploadFileResponse.json"), 201);
    if (r.method == "PATCH" && starts("/v1/backgroundAssetUploadFiles/"))
        return ok(fixture("BackgroundAssetUploadFileResponse.committed.json"));
    if (r.method == "GET" && starts("/v1/backgroundAssetUploadFiles/"))
        return ok(fixture("BackgroundAssetUploadFileResponse.json"));
    if (r.method == "GET" && starts("/v1/backgroundAssetVersionInternalBetaReleases/"))
        return ok(fixture("BackgroundAssetVersionInternalBetaReleaseResponse.json"));
    if (r.method == "GET" && starts("/v1/backgroundAssetVersionExternalBetaReleases/"))
        return ok(fixture("BackgroundAssetVersionExternalBetaReleaseResponse.json"));
    if (r.method == "GET" && starts("/v1/backgroundAssetVersionAppStoreReleases/"))
        return ok(fixture("BackgroundAssetVersionAppStoreReleaseResponse.json"));
    return error_response(404);
}

} // namespace

BOOST_AUTO_TEST_CASE(all_seventeen_operations_send_what_the_spec_says) {
    fixture_env env;
    test_server server(route);
    runner rt;
    api::client c(rt.io.get_executor(), env.config(server));

    api::background_assets_query list_q;
    list_q.filter_asset_pack_identifier = {"Tutorial"};
    list_q.include = {"app"};
    list_q.limit = 2;
    auto assets = rt.run(c.list_background_assets("1234567890", list_q)); // 1
    BOOST_TEST(assets.data.size() == 2u);
    auto ids = rt.run(c.list_background_asset_ids("1234567890", {50})); // 2
    BOOST_TEST(ids.data.at(0).type == "backgroundAssets");
    auto created = rt.run(c.create_background_asset("1234567890", "Tutorial")); // 3
    BOOST_TEST(*created.data.attributes->asset_pack_identifier == "Tutorial");
    api::background_asset_query get_q;
    get_q.include = {"app", "internalBetaVersion"};
    auto got = rt.run(c.get_background_asset("pack/1", get_q)); // 4
    BOOST_TEST(got.included.find<api::app>(got.data.relationships->app) != nullptr);
    auto archived = rt.run(c.update_background_asset("pack-1", true)); // 5
    BOOST_TEST(!archived.data.id.empty());
    api::background_asset_versions_query vq;
    vq.filter_state = {api::background_asset_version_state::complete};
    vq.sort = {"-version"};
    auto versions = rt.run(c.list_background_asset_versions("pack-1", vq)); // 6
    BOOST_TEST(versions.data.size() == 2u);
    auto version_ids = rt.run(c.list_background_asset_version_ids("pack-1")); // 7
    BOOST_TEST(version_ids.data.size() == 2u);
    auto version = rt.run(c.create_background_asset_version("pack-1")); // 8
    BOOST_TEST(
        (*version.data.attributes->state == api::background_asset_version_state::processing));
    api::background_asset_version_query gvq;
    gvq.include = {"assetFile", "internalBetaRelease"};
    auto got_version = rt.run(c.get_background_asset_version("ver-1", gvq)); // 9
    BOOST_TEST(got_version.included.size() == 2u);
    auto files = rt.run(c.list_background_asset_upload_files("ver-1", {{"fileName"}, 10})); // 10
    BOOST_TEST(files.data.size() == 2u);
    auto file_ids = rt.run(c.list_background_asset_upload_file_ids("ver-1")); // 11
    BOOST_TEST(file_ids.data.size() == 1u);
    auto reservation = rt.run(c.create_background_asset_upload_file(
        "ver-1", api::asset_type::asset, "Tutorial.aar", 12582912)); // 12
    BOOST_TEST(reservation.data.attributes->upload_operations->size() == 3u);
    auto file = rt.run(c.get_background_asset_upload_file("file-1")); // 13
    BOOST_TEST(file.data.id == "5b7d9e1f-2a3c-4e5f-8a9b-0c1d2e3f4a5b");
    const api::checksums sums{
        api::checksum{"9e107d9d372bb6826bd81d3542a419d6", api::checksum_algorithm::md5, {}},
        {},
        {}};
    auto committed = rt.run(c.update_background_asset_upload_file("file-1", true, sums)); // 14
    BOOST_TEST(
        (*committed.data.attributes->asset_delivery_state->state == api::delivery_state::failed));
    auto internal = rt.run(c.get_internal_beta_release("ib-1")); // 15
    BOOST_TEST(
        (*internal.data.attributes->state == api::internal_beta_release_state::ready_for_testing));
    api::release_query rq;
    rq.include = {"backgroundAssetVersion"};
    rq.fields_release = {"state", "backgroundAssetVersion"};
    auto external = rt.run(c.get_external_beta_release("eb-1", rq)); // 16
    BOOST_TEST(external.included.all<api::background_asset_version>().size() == 1u);
    auto app_store = rt.run(c.get_app_store_release("asr-1")); // 17
    BOOST_TEST((*app_store.data.attributes->state ==
                api::app_store_release_state::ready_for_distribution));

    auto reqs = server.requests();
    BOOST_REQUIRE_EQUAL(reqs.size(), 17u);
    const std::pair<const char*, const char*> expected[] = {
        {"GET", "/v1/apps/1234567890/"
                "backgroundAssets?filter%5BassetPackIdentifier%5D=Tutorial&limit=2&include=app"},
        {"GET", "/v1/apps/1234567890/relationships/backgroundAssets?limit=50"},
        {"POST", "/v1/backgroundAssets"},
        {"GET", "/v1/backgroundAssets/pack%2F1?include=app,internalBetaVersion"},
        {"PATCH", "/v1/backgroundAssets/pack-1"},
        {"GET", "/v1/backgroundAssets/pack-1/versions?filter%5Bstate%5D=COMPLETE&sort=-version"},
        {"GET", "/v1/backgroundAssets/pack-1/relationships/versions"},
        {"POST", "/v1/backgroundAssetVersions"},
        {"GET", "/v1/backgroundAssetVersions/ver-1?include=assetFile,internalBetaRelease"},
        {"GET",
         "/v1/backgroundAssetVersions/ver-1/"
         "backgroundAssetUploadFiles?fields%5BbackgroundAssetUploadFiles%5D=fileName&limit=10"},
        {"GET", "/v1/backgroundAssetVersions/ver-1/relationships/backgroundAssetUploadFiles"},
        {"POST", "/v1/backgroundAssetUploadFiles"},
        {"GET", "/v1/backgroundAssetUploadFiles/file-1"},
        {"PATCH", "/v1/backgroundAssetUploadFiles/file-1"},
        {"GET", "/v1/backgroundAssetVersionInternalBetaReleases/ib-1"},
        {"GET", "/v1/backgroundAssetVersionExternalBetaReleases/"
                "eb-1?fields%5BbackgroundAssetVersionExternalBetaReleases%5D=state,"
                "backgroundAssetVersion&include=backgroundAssetVersion"},
        {"GET", "/v1/backgroundAssetVersionAppStoreReleases/asr-1"},
    };
    const std::map<std::size_t, const char*> body_schema = {
        {2, "BackgroundAssetCreateRequest"},
        {4, "BackgroundAssetUpdateRequest"},
        {7, "BackgroundAssetVersionCreateRequest"},
        {11, "BackgroundAssetUploadFileCreateRequest"},
        {13, "BackgroundAssetUploadFileUpdateRequest"},
    };
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        BOOST_TEST_CONTEXT("request " << i + 1 << " " << reqs[i].method << " " << reqs[i].target) {
            BOOST_TEST(reqs[i].method == expected[i].first);
            BOOST_TEST(reqs[i].target == expected[i].second);
            BOOST_TEST(env.token_ok(reqs[i]));
            BOOST_TEST(reqs[i].header("accept") == "application/json");
            if (auto s = body_schema.find(i); s != body_schema.end()) {
                BOOST_TEST(reqs[i].header("content-type") == "application/json");
                auto problems = spec_validator::check_text(s->second, reqs[i].body, true);
                BOOST_TEST(problems.empty(), spec_validator::describe(problems));
            } else {
                BOOST_TEST(reqs[i].body.empty());
            }
        }
    }
    auto stats = c.stats();
    BOOST_TEST(stats.requests_sent == 17u);
    BOOST_TEST(stats.retries == 0u);
    BOOST_TEST(stats.requests_by_operation.size() == 17u);
    BOOST_TEST(stats.requests_by_operation.at("backgroundAssetUploadFiles_updateInstance") == 1u);
    auto budget = c.rate_limit();
    BOOST_REQUIRE(budget.last);
    BOOST_TEST(*budget.last->hour_remaining == 3000);
}

BOOST_AUTO_TEST_CASE(pager_follows_next_links_verbatim_and_stops_when_asked) {
    fixture_env env;
    std::string base;
    // Problems the route finds, checked on the test's thread (no Boost.Test on the server's).
    std::mutex route_mutex;
    std::vector<std::string> route_problems;
    // Three pages; links carry a raw '[' as some servers send, and an opaque cursor.
    test_server server([&](const recorded_request& r) {
        json::object doc;
        int page = r.target.find("cursor=P3") != std::string::npos   ? 3
                   : r.target.find("cursor=P2") != std::string::npos ? 2
                                                                     : 1;
        json::array data;
        for (int i = 0; i < 2; ++i)
            data.push_back(json::object{{"type", "backgroundAssetVersions"},
                                        {"id", "v" + std::to_string(page) + std::to_string(i)}});
        doc["data"] = std::move(data);
        json::object links{{"self", base + r.target}};
        if (page < 3)
            links["next"] =
                base +
                "/v1/backgroundAssets/p/relationships/versions?filter[x]=1&limit=2&cursor=P" +
                std::to_string(page + 1);
        doc["links"] = std::move(links);
        doc["meta"] = json::object{{"paging", json::object{{"total", 6}, {"limit", 2}}}};
        auto problems = spec_validator::check("BackgroundAssetVersionsLinkagesResponse", doc);
        if (!problems.empty()) {
            std::lock_guard lock(route_mutex);
            route_problems.push_back(spec_validator::describe(problems));
        }
        return ok(json::serialize(doc));
    });
    base = server.url();
    runner rt;
    api::client c(rt.io.get_executor(), env.config(server));

    auto walk = [&](int stop_after) -> asio::awaitable<std::vector<std::string>> {
        std::vector<std::string> seen;
        auto pages = c.paginate_background_asset_version_ids("p", {2});
        int n = 0;
        while (auto page = co_await pages.next_page()) {
            for (const auto& id : page->data)
                seen.push_back(id.id);
            BOOST_TEST(pages.total().value_or(-1) == 6);
            if (++n == stop_after)
                break;
        }
        co_return seen;
    };
    auto all = rt.run(walk(100));
    {
        std::lock_guard lock(route_mutex);
        BOOST_TEST(route_problems.empty());
    }
    BOOST_TEST(all.size() == 6u);
    BOOST_TEST(all.front() == "v10");
    BOOST_TEST(all.back() == "v31");
    auto reqs = server.requests();
    BOOST_REQUIRE_EQUAL(reqs.size(), 3u);
    BOOST_TEST(reqs[0].target == "/v1/backgroundAssets/p/relationships/versions?limit=2");
    BOOST_TEST(reqs[1].target.find("cursor=P2") != std::string::npos);
    BOOST_TEST(reqs[2].target.find("cursor=P3") != std::string::npos);
    for (const auto& r : reqs)
        BOOST_TEST(env.token_ok(r));

    // Stopping after the first page costs one request, no more.
    auto first = rt.run(walk(1));
    BOOST_TEST(first.size() == 2u);
    BOOST_TEST(server.request_count() == 4u);
}

BOOST_AUTO_TEST_CASE(next_link_to_another_origin_is_refused_and_gets_no_token) {
    fixture_env env;
    test_server elsewhere(
        [](const recorded_request&) { return ok(R"({"data":[],"links":{"self":"x"}})"); },
        "127.0.0.2");
    std::string foreign = elsewhere.url();
    test_server server([&](const recorded_request&) {
        return ok(R"({"data":[{"type":"backgroundAssets","id":"a"}],"links":{"self":"s","next":")" +
                  foreign + R"(/v1/apps/1/relationships/backgroundAssets?cursor=X"}})");
    });
    runner rt;
    api::client c(rt.io.get_executor(), env.config(server));
    auto pages = c.paginate_background_asset_ids("1");
    auto first = rt.run(pages.next_page());
    BOOST_TEST(first->data.size() == 1u);
    BOOST_TEST(!pages.done());
    try {
        rt.run(pages.next_page());
        BOOST_FAIL("followed a link to another origin");
    } catch (const api::decode_error& e) {
        BOOST_TEST(e.pointer() == "/links/next");
        BOOST_TEST(std::string(e.what()).find("127.0.0.2") != std::string::npos);
    }
    BOOST_TEST(elsewhere.request_count() == 0u);
    BOOST_TEST(server.request_count() == 1u);

    // Same host, another port is another origin too.
    test_server other_port([](const recorded_request&) { return ok("{}"); });
    std::string other = other_port.url();
    server.set_handler([&](const recorded_request&) {
        return ok(R"({"data":[],"links":{"self":"s","next":")" + other + R"(/v1/x"}})");
    });
    auto pages2 = c.paginate_background_asset_ids("1");
    rt.run(pages2.next_page());
    BOOST_CHECK_THROW(rt.run(pages2.next_page()), api::decode_error);
    BOOST_TEST(other_port.request_count() == 0u);
}

BOOST_AUTO_TEST_CASE(relative_next_link_is_resolved_against_the_api_origin) {
    fixture_env env;
    test_server server([&](const recorded_request& r) {
        if (r.target.find("cursor=2") != std::string::npos)
            return ok(R"({"data":[{"type":"backgroundAssets","id":"b"}],"links":{"self":"s"}})");
        return ok(
            R"({"data":[{"type":"backgroundAssets","id":"a"}],"links":{"self":"s","next":"/v1/apps/1/relationships/backgroundAssets?cursor=2"}})");
    });
    runner rt;
    api::client c(rt.io.get_executor(), env.config(server));
    auto pages = c.paginate_background_asset_ids("1");
    BOOST_TEST(rt.run(pages.next_page())->data[0].id == "a");
    BOOST_TEST(rt.run(pages.next_page())->data[0].id == "b");
    BOOST_TEST(!rt.run(pages.next_page()).has_value());
    BOOST_TEST(pages.done());
    BOOST_TEST(pages.pages_fetched() == 2u);
}

BOOST_AUTO_TEST_CASE(error_statuses_become_api_errors_and_are_not_retried) {
    fixture_env env;
    unsigned status = 400;
    test_server server([&](const recorded_request&) {
        return error_response(status, "rid-" + std::to_string(status));
    });
    runner rt;
    auto config = env.config(server);
    api::client c(rt.io.get_executor(), config);
    for (unsigned s : {400u, 403u, 404u, 409u, 422u}) {
        status = s;
        auto before = server.request_count();
        try {
            if (s == 409 || s == 422)
                rt.run(c.create_background_asset("1", "Tutorial"));
            else
                rt.run(c.get_background_asset("x"));
            BOOST_FAIL("no error for " << s);
        } catch (const api::api_error& e) {
            BOOST_TEST(e.status() == s);
            BOOST_TEST(e.request_id() == "rid-" + std::to_string(s));
            BOOST_TEST(!e.errors().empty());
            BOOST_TEST(e.errors()[0].status == std::to_string(s));
            BOOST_TEST(!e.code().empty());
            BOOST_TEST(e.operation() == (s >= 409 ? "backgroundAssets_createInstance"
                                                  : "backgroundAssets_getInstance"));
        }
        BOOST_TEST(server.request_count() - before == 1u, "status " << s << " was retried");
    }
    BOOST_TEST(c.stats().api_errors == 5u);
}

BOOST_AUTO_TEST_CASE(unauthorized_renews_the_token_once) {
    fixture_env env;
    int calls = 0;
    test_server server([&](const recorded_request&) {
        return ++calls == 1 ? error_response(401) : ok(fixture("BackgroundAssetResponse.json"));
    });
    runner rt;
    api::client c(rt.io.get_executor(), env.config(server));
    rt.run(c.get_background_asset("x"));
    auto reqs = server.requests();
    BOOST_REQUIRE_EQUAL(reqs.size(), 2u);
    BOOST_TEST(c.tokens().tokens_signed() == 2u);
    BOOST_TEST(reqs[0].header("authorization") != reqs[1].header("authorization"));

    // A key that stays unauthorized ends in api_error 401 after one renewal.
    server.set_handler([](const recorded_request&) { return error_response(401); });
    auto before = server.request_count();
    try {
        rt.run(c.get_background_asset("x"));
        BOOST_FAIL("no error");
    } catch (const api::api_error& e) {
        BOOST_TEST(e.status() == 401u);
        BOOST_TEST(e.code() == "NOT_AUTHORIZED");
    }
    BOOST_TEST(server.request_count() - before == 2u);
}

BOOST_AUTO_TEST_CASE(rate_limited_then_success_honours_retry_after) {
    fixture_env env;
    int calls = 0;
    test_server server([&](const recorded_request&) {
        if (++calls <= 2) {
            auto r = error_response(429);
            r.headers["Retry-After"] = "0";
            r.headers["X-Rate-Limit"] = "user-hour-lim:3600;user-hour-rem:100;";
            return r;
        }
        return ok(fixture("BackgroundAssetUploadFileResponse.json"), 201);
    });
    runner rt;
    api::client c(rt.io.get_executor(), env.config(server));
    // A POST is retried after 429: the server did not act on it.
    auto d =
        rt.run(c.create_background_asset_upload_file({"v", api::asset_type::asset, "a.aar", 10}));
    BOOST_TEST(!d.data.id.empty());
    auto stats = c.stats();
    BOOST_TEST(stats.requests_sent == 3u);
    BOOST_TEST(stats.retries == 2u);
    BOOST_TEST(stats.rate_limited == 2u);
    BOOST_TEST(c.rate_limit().rate_limited == 2u);

    // Out of attempts: the 429 surfaces as api_error RATE_LIMIT_EXCEEDED.
    server.set_handler([](const recorded_request&) { return error_response(429); });
    auto config = env.config(server);
    config.retry.max_attempts = 2;
    api::client strict(rt.io.get_executor(), config);
    try {
        rt.run(strict.get_background_asset_upload_file("f"));
        BOOST_FAIL("no error");
    } catch (const api::api_error& e) {
        BOOST_TEST(e.status() == 429u);
        BOOST_TEST(e.has_code("RATE_LIMIT_EXCEEDED"));
    }
    BOOST_TEST(strict.stats().requests_sent == 2u);
}

// 408 is retried like a server error (api::is_transient_status).
BOOST_AUTO_TEST_CASE(server_errors_retry_gets_and_patches_but_not_posts) {
    for (unsigned status : {503u, 408u}) {
        BOOST_TEST_CONTEXT("status " << status) {
            fixture_env env;
            std::atomic<int> failures{0};
            test_server server([&](const recorded_request& r) {
                if (failures > 0) {
                    --failures;
                    canned_response e;
                    e.status = status;
                    e.body = "unavailable";
                    return e;
                }
                return route(r);
            });
            runner rt;
            api::client c(rt.io.get_executor(), env.config(server));

            failures = 2;
            rt.run(c.get_background_asset_version("v"));
            BOOST_TEST(server.request_count() == 3u);
            failures = 1;
            rt.run(c.update_background_asset_upload_file({"f", true, {}, {}}));
            BOOST_TEST(server.request_count() == 5u);

            failures = 1;
            try {
                rt.run(c.create_background_asset_version("p"));
                BOOST_FAIL("a POST was replayed after " << status);
            } catch (const api::api_error& e) {
                BOOST_TEST(e.status() == status);
                BOOST_TEST(e.body_excerpt() == "unavailable");
            }
            BOOST_TEST(server.request_count() == 6u);

            // Retries are bounded by the policy.
            failures = 100;
            try {
                rt.run(c.get_background_asset("x"));
                BOOST_FAIL("no error");
            } catch (const api::api_error& e) {
                BOOST_TEST(e.status() == status);
            }
            BOOST_TEST(server.request_count() == 6u + c.config().retry.max_attempts);
        }
    }
}

BOOST_AUTO_TEST_CASE(dropped_connections_retry_idempotent_requests_only) {
    fixture_env env;
    std::atomic<int> drops{0};
    test_server server([&](const recorded_request& r) {
        if (drops > 0) {
            --drops;
            canned_response d;
            d.drop_connection = true;
            return d;
        }
        return route(r);
    });
    runner rt;
    api::client c(rt.io.get_executor(), env.config(server));
    drops = 3; // the transport may retry once by itself; the API layer covers the rest
    auto v = rt.run(c.get_background_asset_version("v"));
    BOOST_TEST(!v.data.id.empty());

    drops = 1;
    auto before = server.request_count();
    BOOST_CHECK_THROW(rt.run(c.create_background_asset("1", "Tutorial")),
                      ascpp::http::transport_error);
    BOOST_TEST(server.request_count() - before == 1u, "a POST was replayed after a lost response");
}

BOOST_AUTO_TEST_CASE(client_side_limiter_waits_when_the_budget_is_spent) {
    fixture_env env;
    std::atomic<int> remaining{3};
    test_server server([&](const recorded_request& r) {
        auto resp = route(r);
        int rem = remaining.load();
        if (rem > 0)
            remaining = rem - 1;
        resp.headers["X-Rate-Limit"] =
            "user-hour-lim:36000;user-hour-rem:" + std::to_string(std::max(rem - 1, 0)) + ";";
        return resp;
    });
    runner rt;
    api::client c(rt.io.get_executor(), env.config(server));
    for (int i = 0; i < 5; ++i)
        rt.run(c.get_background_asset_upload_file("f"));
    auto status = c.rate_limit();
    BOOST_REQUIRE(status.last);
    BOOST_TEST(*status.last->hour_remaining == 0);
    BOOST_TEST(*status.last->hour_limit == 36000);
    BOOST_TEST(status.throttled >= 2u); // requests 4 and 5 waited for a probe slot
    BOOST_TEST(c.stats().throttled == status.throttled);
    BOOST_TEST(server.request_count() == 5u);

    // Turned off: no waiting at all.
    auto config = env.config(server);
    config.client_side_rate_limit = false;
    api::client unthrottled(rt.io.get_executor(), config);
    for (int i = 0; i < 3; ++i)
        rt.run(unthrottled.get_background_asset_upload_file("f"));
    BOOST_TEST(unthrottled.stats().throttled == 0u);
}

BOOST_AUTO_TEST_CASE(pacing_to_a_rolling_window_draws_no_429) {
    // A rolling window like Apple's, scaled down: 4 requests per 600 ms. The client knows the
    // window; 12 requests (three windows' worth), three at a time, must all pass without a 429.
    fixture_env env;
    constexpr std::size_t limit = 4;
    constexpr auto window = 600ms;
    std::mutex m;
    std::deque<std::chrono::steady_clock::time_point> counted;
    std::atomic<int> refused{0};
    test_server server([&](const recorded_request& r) {
        std::lock_guard lock(m);
        const auto now = std::chrono::steady_clock::now();
        while (!counted.empty() && now - counted.front() >= window)
            counted.pop_front();
        if (counted.size() >= limit) {
            ++refused;
            auto resp = error_response(429);
            resp.headers["X-Rate-Limit"] = "user-hour-lim:4;user-hour-rem:0;";
            return resp;
        }
        counted.push_back(now);
        auto resp = route(r);
        resp.headers["X-Rate-Limit"] =
            "user-hour-lim:4;user-hour-rem:" + std::to_string(limit - counted.size()) + ";";
        return resp;
    });
    runner rt;
    auto config = env.config(server);
    config.rate_limit_window = window;
    api::client c(rt.io.get_executor(), config);
    rt.run([&]() -> asio::awaitable<void> {
        auto one = [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 4; ++i)
                co_await c.get_background_asset_upload_file("f");
        };
        using namespace asio::experimental::awaitable_operators;
        auto a = one();
        auto b = one();
        auto d = one();
        co_await (std::move(a) && std::move(b) && std::move(d));
    }());
    BOOST_TEST(refused.load() == 0);
    BOOST_TEST(c.stats().rate_limited == 0u);
    BOOST_TEST(server.request_count() == 12u);
    BOOST_TEST(c.stats().throttled > 0u); // the budget made requests wait
    auto status = c.rate_limit();
    BOOST_TEST(status.window == window);
    BOOST_TEST_REQUIRE(status.available().has_value());
    BOOST_TEST(*status.available() <= 4);
}

BOOST_AUTO_TEST_CASE(token_renewal_while_requests_are_in_flight) {
    fixture_env env;
    std::atomic<std::int64_t> offset_s{0};
    const auto start = std::chrono::system_clock::now();
    auth::token_options options;
    options.key_id = "TESTKEY123";
    options.issuer_id = "69a6de70-03db-47e3-e053-5b8c7c11a4d1";
    options.clock = [&] { return start + std::chrono::seconds(offset_s.load()); };
    auto provider = std::make_shared<auth::token_provider>(env.key, options);

    std::atomic<int> arrived{0};
    test_server server([&](const recorded_request& r) {
        ++arrived;
        auto resp = route(r);
        resp.delay = 200ms; // keep the first wave in flight while the clock moves
        return resp;
    });
    runner rt(2);
    auto config = env.config(server);
    config.token_provider = provider;
    api::client c(rt.io.get_executor(), config);

    std::vector<std::future<api::document<api::background_asset>>> wave1, wave2;
    for (int i = 0; i < 4; ++i)
        wave1.push_back(
            c.async_get_background_asset("a" + std::to_string(i), {}, asio::use_future));
    // Bounded wait until the first wave reached the server (it is then in flight).
    for (int i = 0; i < 2000 && arrived < 4; ++i)
        std::this_thread::sleep_for(5ms);
    BOOST_REQUIRE(arrived >= 4);
    offset_s = 1200 - 60 - 60; // less than renew_before (120 s) left: the next call renews
    for (int i = 0; i < 4; ++i)
        wave2.push_back(
            c.async_get_background_asset("b" + std::to_string(i), {}, asio::use_future));
    for (auto& f : wave1)
        BOOST_TEST(!f.get().data.id.empty());
    for (auto& f : wave2)
        BOOST_TEST(!f.get().data.id.empty());

    BOOST_TEST(provider->tokens_signed() == 2u); // one renewal shared by the second wave
    std::set<std::string> first_tokens, second_tokens;
    for (const auto& r : server.requests()) {
        BOOST_TEST(env.token_ok(r));
        (r.path().find("/a") != std::string::npos ? first_tokens : second_tokens)
            .insert(r.header("authorization"));
    }
    BOOST_TEST(first_tokens.size() == 1u);
    BOOST_TEST(second_tokens.size() == 1u);
    BOOST_TEST((*first_tokens.begin() != *second_tokens.begin()));
}

BOOST_AUTO_TEST_CASE(completion_token_styles) {
    fixture_env env;
    test_server server(route);
    runner rt;
    api::client c(rt.io.get_executor(), env.config(server));

    // future
    auto f = c.async_get_app_store_release("x", {}, asio::use_future);
    BOOST_TEST(
        (*f.get().data.attributes->state == api::app_store_release_state::ready_for_distribution));

    // callback
    std::promise<std::string> p;
    c.async_get_internal_beta_release(
        "x", {}, [&](std::exception_ptr e, api::document<api::internal_beta_release> d) {
            if (e)
                p.set_exception(e);
            else
                p.set_value(d.data.attributes->state->str());
        });
    BOOST_TEST(p.get_future().get() == "READY_FOR_TESTING");

    // deferred: nothing is sent until the operation is started
    auto before = server.request_count();
    auto op = c.async_get_external_beta_release("x", {}, asio::deferred);
    std::this_thread::sleep_for(20ms);
    BOOST_TEST(server.request_count() == before);
    auto started = std::move(op)(asio::use_future);
    BOOST_TEST(started.get().data.attributes->state->str() == "IN_REVIEW");

    // the pager's async twin, with a callback
    std::promise<std::size_t> pages;
    auto pager = c.paginate_background_assets("1");
    pager.async_next_page(
        [&](std::exception_ptr e, std::optional<api::page<api::background_asset>> pg) {
            if (e)
                pages.set_exception(e);
            else
                pages.set_value(pg ? pg->data.size() : 0);
        });
    BOOST_TEST(pages.get_future().get() == 2u);
}

BOOST_AUTO_TEST_CASE(cancellation_through_the_completion_token_slot) {
    fixture_env env;
    test_server server([](const recorded_request& r) {
        auto resp = route(r);
        resp.delay = 3000ms;
        return resp;
    });
    runner rt;
    api::client c(rt.io.get_executor(), env.config(server));
    asio::cancellation_signal signal;
    std::promise<std::exception_ptr> done;
    asio::post(rt.io, [&] {
        c.async_get_background_asset(
            "slow", {},
            asio::bind_cancellation_slot(signal.slot(),
                                         [&](std::exception_ptr e, auto) { done.set_value(e); }));
    });
    for (int i = 0; i < 2000 && server.request_count() == 0; ++i)
        std::this_thread::sleep_for(5ms);
    asio::post(rt.io, [&] { signal.emit(asio::cancellation_type::terminal); });
    auto fut = done.get_future();
    const bool ready = fut.wait_for(10s) == std::future_status::ready;
    BOOST_REQUIRE(ready);
    auto e = fut.get();
    BOOST_REQUIRE(e);
    BOOST_CHECK_THROW(std::rethrow_exception(e), std::exception);
    BOOST_TEST(server.request_count() == 1u); // a cancelled request is not retried
}

BOOST_AUTO_TEST_CASE(one_client_shared_by_several_threads) {
    fixture_env env;
    test_server server(route);
    runner rt(4);
    api::client c(rt.io.get_executor(), env.config(server));
    std::vector<std::future<api::document<api::background_asset_upload_file>>> all;
    for (int i = 0; i < 40; ++i)
        all.push_back(c.async_get_background_asset_upload_file("f" + std::to_string(i), {},
                                                               asio::use_future));
    for (auto& f : all)
        BOOST_TEST(!f.get().data.id.empty());
    auto stats = c.stats();
    BOOST_TEST(stats.requests_sent == 40u);
    BOOST_TEST(stats.requests_by_operation.at("backgroundAssetUploadFiles_getInstance") == 40u);
    BOOST_TEST(server.request_count() == 40u);
    for (const auto& r : server.requests())
        BOOST_TEST(env.token_ok(r));
}

BOOST_AUTO_TEST_CASE(bad_configuration_and_arguments_are_refused) {
    fixture_env env;
    asio::io_context io;
    api::client_config c;
    c.key_id = "K";
    BOOST_CHECK_THROW(api::client(io.get_executor(), c), std::invalid_argument); // no key
    c.private_key = env.key;
    c.base_url = "not a url";
    BOOST_CHECK_THROW(api::client(io.get_executor(), c), std::invalid_argument);
    c.base_url = "ftp://example.com";
    BOOST_CHECK_THROW(api::client(io.get_executor(), c), std::invalid_argument);
    c.base_url = "https://api.appstoreconnect.apple.com";
    c.key_id.clear();
    BOOST_CHECK_THROW(api::client(io.get_executor(), c), std::invalid_argument);
    c.key_id = "K";
    c.private_key.reset();
    c.private_key_file = "/nonexistent/AuthKey.p8";
    BOOST_CHECK_THROW(api::client(io.get_executor(), c), auth::key_error);

    test_server server(route);
    runner rt;
    api::client ok_client(rt.io.get_executor(), env.config(server));
    BOOST_CHECK_THROW(rt.run(ok_client.get_background_asset("")), std::invalid_argument);
    BOOST_CHECK_THROW(rt.run(ok_client.list_background_asset_ids("1", {0})), std::invalid_argument);
    BOOST_CHECK_THROW(rt.run(ok_client.create_background_asset_upload_file(
                          {"v", api::asset_type::asset, "a", 0})),
                      std::invalid_argument);
    BOOST_TEST(server.request_count() == 0u);
    BOOST_TEST(ok_client.api_origin() == server.url());
}
