// The API client against the in-process simulator over TLS: all 17 operations in the order a
// publish uses them, with every decoded document re-encoded and checked against the spec, part
// PUTs through the shared transport without the token, paging, errors and retries.
#include <boost/test/unit_test.hpp>

#include <ascpp/api/client.hpp>
#include <ascpp/api/json.hpp>
#include <ascpp/http/client.hpp>
#include <ascpp/sim/simulator.hpp>

#include <support/spec_validator.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/value_from.hpp>

#include <openssl/evp.h>

#include <thread>

static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "api_sim_integration_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace api = ascpp::api;
namespace auth = ascpp::auth;
namespace sim = ascpp::sim;
namespace asio = boost::asio;
namespace json = boost::json;
using ascpp::test::spec_validator;
using namespace std::chrono_literals;

namespace {

struct runner {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::thread thread{[this] { io.run(); }};
    ~runner() {
        guard.reset();
        io.stop();
        thread.join();
    }
    template <class T>
    T run(asio::awaitable<T> op) {
        auto f = asio::co_spawn(io, std::move(op), asio::use_future);
        // Waited for outside the macro: Boost.Test is not thread-safe, and the macro's checkpoint
        // would be written while the operation may still run test code on the io thread.
        const bool ready = f.wait_for(120s) == std::future_status::ready;
        BOOST_REQUIRE_MESSAGE(ready, "operation hung");
        return f.get();
    }
};

api::client_config config_for(const sim::simulator& s, const sim::api_credentials& key) {
    api::client_config c;
    c.base_url = s.api_url();
    c.ca_file = s.ca_file();
    c.key_id = key.key_id;
    if (!key.individual)
        c.issuer_id = key.issuer_id;
    c.private_key = auth::private_key::from_pem(key.private_key_pem);
    c.retry.initial_delay = 5ms;
    c.retry.max_delay = 50ms;
    return c;
}

// What the client decoded, written back, must still be what the spec allows.
template <class Doc>
void expect_spec_valid(std::string_view schema, const Doc& doc) {
    auto problems = spec_validator::check(schema, json::value_from(doc));
    BOOST_TEST(problems.empty(), schema << ": " << spec_validator::describe(problems));
}

std::string md5_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 15]);
    }
    return out;
}

asio::awaitable<void> pause(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

// Sends each upload operation's byte range with its method and headers, exactly as given.
asio::awaitable<void> put_parts(api::client& c, const api::background_asset_upload_file& file,
                                const std::string& bytes) {
    for (const auto& op : *file.attributes->upload_operations) {
        ascpp::http::request req;
        req.method = boost::beast::http::string_to_verb(*op.method);
        req.url = boost::urls::url(*op.url);
        if (op.request_headers)
            for (const auto& h : *op.request_headers)
                req.headers.set(*h.name, *h.value);
        req.body = bytes.substr(static_cast<std::size_t>(*op.offset),
                                static_cast<std::size_t>(*op.length));
        auto resp = co_await c.http().send(std::move(req));
        BOOST_TEST(resp.status == 200u,
                   "part " << op.part_number.value_or(0) << " got " << resp.status);
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(publish_flow_through_all_seventeen_operations) {
    sim::simulator_options options;
    options.part_size = 64 * 1024;
    sim::simulator s(options);
    const std::string app_id = s.options().app_ids.at(0);
    auto key = s.create_api_key();
    runner rt;
    api::client c(rt.io.get_executor(), config_for(s, key));

    // 1. nothing yet
    auto none = rt.run(c.list_background_assets(app_id));
    BOOST_TEST(none.data.empty());
    expect_spec_valid("BackgroundAssetsResponse", none);

    // 3. create the pack
    auto pack = rt.run(c.create_background_asset(app_id, "Tutorial"));
    expect_spec_valid("BackgroundAssetResponse", pack);
    BOOST_TEST(*pack.data.attributes->asset_pack_identifier == "Tutorial");
    const std::string pack_id = pack.data.id;

    // 4. read it with its app
    api::background_asset_query get_q;
    get_q.include = {"app"};
    auto got = rt.run(c.get_background_asset(pack_id, get_q));
    expect_spec_valid("BackgroundAssetResponse", got);
    BOOST_TEST(got.data.relationships->app->data->id == app_id);

    // 1 + 2. find it by identifier, list the ids
    api::background_assets_query find;
    find.filter_asset_pack_identifier = {"Tutorial"};
    auto found = rt.run(c.list_background_assets(app_id, find));
    BOOST_REQUIRE_EQUAL(found.data.size(), 1u);
    BOOST_TEST(found.data[0].id == pack_id);
    auto pack_ids = rt.run(c.list_background_asset_ids(app_id));
    expect_spec_valid("AppBackgroundAssetsLinkagesResponse", pack_ids);
    BOOST_TEST(pack_ids.data.at(0).id == pack_id);

    // 8. a version
    auto version = rt.run(c.create_background_asset_version(pack_id));
    expect_spec_valid("BackgroundAssetVersionResponse", version);
    BOOST_TEST(
        (*version.data.attributes->state == api::background_asset_version_state::awaiting_upload));
    const std::string version_id = version.data.id;

    // 6 + 7. it is listed
    api::background_asset_versions_query vq;
    vq.filter_state = {api::background_asset_version_state::awaiting_upload};
    auto versions = rt.run(c.list_background_asset_versions(pack_id, vq));
    expect_spec_valid("BackgroundAssetVersionsResponse", versions);
    BOOST_TEST(versions.data.at(0).id == version_id);
    auto version_ids = rt.run(c.list_background_asset_version_ids(pack_id));
    expect_spec_valid("BackgroundAssetVersionsLinkagesResponse", version_ids);
    BOOST_TEST(version_ids.data.size() == 1u);

    // 12. reserve an upload of 200 KiB + 17 bytes: several parts
    std::string bytes(200 * 1024 + 17, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>((i * 131 + 7) & 0xFF);
    auto reservation = rt.run(
        c.create_background_asset_upload_file(version_id, api::asset_type::asset, "Tutorial.aar",
                                              static_cast<std::int64_t>(bytes.size())));
    expect_spec_valid("BackgroundAssetUploadFileResponse", reservation);
    const auto& ops = *reservation.data.attributes->upload_operations;
    BOOST_TEST(ops.size() >= 4u);
    std::int64_t covered = 0;
    for (const auto& op : ops)
        covered += *op.length;
    BOOST_TEST(covered == static_cast<std::int64_t>(bytes.size()));

    // the parts go to the upload host, through the same transport, without the token
    rt.run(put_parts(c, reservation.data, bytes));
    BOOST_TEST(s.stats().upload_authorization_headers == 0u);
    BOOST_TEST(s.stats().parts_received == ops.size());

    // 14. commit with the file checksum
    api::background_asset_upload_file_update_request commit;
    commit.id = reservation.data.id;
    commit.uploaded = true;
    commit.source_file_checksums =
        api::checksums{api::checksum{md5_hex(bytes), api::checksum_algorithm::md5, {}}, {}, {}};
    auto committed = rt.run(c.update_background_asset_upload_file(commit));
    expect_spec_valid("BackgroundAssetUploadFileResponse", committed);
    auto delivery = committed.data.attributes->asset_delivery_state->state->str();
    BOOST_TEST((delivery == "UPLOAD_COMPLETE" || delivery == "COMPLETE"), delivery);

    // 13. poll the file until COMPLETE (bounded)
    auto poll_file = [&]() -> asio::awaitable<std::string> {
        for (int i = 0; i < 200; ++i) {
            auto f = co_await c.get_background_asset_upload_file(reservation.data.id);
            expect_spec_valid("BackgroundAssetUploadFileResponse", f);
            auto state = f.data.attributes->asset_delivery_state->state->str();
            if (state == "COMPLETE" || state == "FAILED")
                co_return state;
            co_await pause(50ms);
        }
        co_return std::string("TIMEOUT");
    };
    BOOST_TEST(rt.run(poll_file()) == "COMPLETE");
    // The simulator checks the checksums as it processes the file.
    BOOST_TEST(s.stats().checksums_matched == 1u);
    BOOST_TEST(s.stats().checksums_mismatched == 0u);

    // 10 + 11. the version's files
    auto files = rt.run(c.list_background_asset_upload_files(version_id));
    expect_spec_valid("BackgroundAssetUploadFilesResponse", files);
    BOOST_TEST(files.data.at(0).id == reservation.data.id);
    auto file_ids = rt.run(c.list_background_asset_upload_file_ids(version_id));
    expect_spec_valid("BackgroundAssetVersionBackgroundAssetUploadFilesLinkagesResponse", file_ids);
    BOOST_TEST(file_ids.data.at(0).id == reservation.data.id);

    // 9. poll the version until processed (bounded), with its releases included
    api::background_asset_version_query vget;
    vget.include = {"internalBetaRelease", "assetFile"};
    auto poll_version = [&]() -> asio::awaitable<api::document<api::background_asset_version>> {
        for (int i = 0;; ++i) {
            auto v = co_await c.get_background_asset_version(version_id, vget);
            expect_spec_valid("BackgroundAssetVersionResponse", v);
            auto state = v.data.attributes->state->str();
            if (state == "COMPLETE" || state == "FAILED" || i == 200)
                co_return v;
            co_await pause(50ms);
        }
    };
    auto processed = rt.run(poll_version());
    BOOST_TEST(
        (*processed.data.attributes->state == api::background_asset_version_state::complete));
    const auto* asset_file = processed.included.find<api::background_asset_upload_file>(
        processed.data.relationships->asset_file);
    BOOST_TEST(asset_file != nullptr);

    // 15. the internal beta release Apple creates on COMPLETE
    const auto& internal_rel = processed.data.relationships->internal_beta_release;
    BOOST_REQUIRE(internal_rel && internal_rel->data);
    api::release_query rq;
    rq.include = {"backgroundAssetVersion"};
    auto internal = rt.run(c.get_internal_beta_release(internal_rel->data->id, rq));
    expect_spec_valid("BackgroundAssetVersionInternalBetaReleaseResponse", internal);
    BOOST_TEST(
        (*internal.data.attributes->state == api::internal_beta_release_state::ready_for_testing));
    BOOST_TEST(internal.included.find<api::background_asset_version>(version_id) != nullptr);

    // 16 + 17. external beta and App Store releases, created by review actions
    s.release_action(version_id, sim::release_channel::external_beta, "create");
    s.release_action(version_id, sim::release_channel::app_store, "create");
    auto with_releases = rt.run(c.get_background_asset_version(version_id));
    const auto& rels = *with_releases.data.relationships;
    BOOST_REQUIRE(rels.external_beta_release && rels.external_beta_release->data);
    BOOST_REQUIRE(rels.app_store_release && rels.app_store_release->data);
    auto external = rt.run(c.get_external_beta_release(rels.external_beta_release->data->id));
    expect_spec_valid("BackgroundAssetVersionExternalBetaReleaseResponse", external);
    BOOST_TEST((*external.data.attributes->state ==
                api::external_beta_release_state::ready_for_beta_submission));
    auto app_store = rt.run(c.get_app_store_release(rels.app_store_release->data->id));
    expect_spec_valid("BackgroundAssetVersionAppStoreReleaseResponse", app_store);
    BOOST_TEST((*app_store.data.attributes->state ==
                api::app_store_release_state::prepare_for_submission));

    // 5. archive the pack
    auto archived = rt.run(c.update_background_asset(pack_id, true));
    expect_spec_valid("BackgroundAssetResponse", archived);
    BOOST_TEST(*archived.data.attributes->archived);

    // Counters: what the client sent is what the simulator saw (parts are not API requests).
    auto stats = c.stats();
    auto seen = s.stats().requests;
    std::uint64_t api_requests = 0;
    for (const auto& [route, n] : seen)
        if (route != "upload_part" && route != "sim")
            api_requests += n;
    BOOST_TEST(stats.requests_sent == api_requests);
    for (const auto& [op, n] : stats.requests_by_operation)
        BOOST_TEST(seen[op] == n, op);
    BOOST_TEST(stats.requests_by_operation.size() == 17u);
    BOOST_TEST(c.rate_limit().last.has_value());
}

// This machine's clock 10 minutes fast (the simulator's 10 minutes behind): the first token is
// "issued in the future" and refused; the client reads the API's Date header, dates the next
// token by the API's clock, and every later request goes through with it.
BOOST_AUTO_TEST_CASE(a_wrong_clock_is_corrected_from_the_date_header) {
    sim::simulator_options o;
    o.clock_offset = -std::chrono::minutes(10);
    sim::simulator s(o);
    const std::string app_id = s.options().app_ids.at(0);
    auto key = s.create_api_key();
    runner rt;
    api::client c(rt.io.get_executor(), config_for(s, key));
    rt.run(c.create_background_asset(app_id, "skewed"));
    auto offset = c.tokens().clock_offset();
    BOOST_TEST((offset <= -std::chrono::seconds(590) && offset >= -std::chrono::seconds(610)),
               offset.count() << " s");
    for (int i = 0; i < 3; ++i)
        rt.run(c.list_background_assets(app_id));
    BOOST_TEST(s.stats().unauthorized == 1u);
    BOOST_TEST(c.tokens().tokens_signed() == 2u);
}

BOOST_AUTO_TEST_CASE(paging_over_the_simulator) {
    sim::simulator s;
    const std::string app_id = s.options().app_ids.at(0);
    auto key = s.create_api_key();
    runner rt;
    api::client c(rt.io.get_executor(), config_for(s, key));
    for (int i = 0; i < 7; ++i)
        rt.run(c.create_background_asset(app_id, "pack-" + std::to_string(i)));

    auto walk = [&]() -> asio::awaitable<std::pair<std::vector<std::string>, std::uint64_t>> {
        api::background_assets_query q;
        q.limit = 3;
        q.sort = {"assetPackIdentifier"};
        auto pages = c.paginate_background_assets(app_id, q);
        std::vector<std::string> names;
        while (auto page = co_await pages.next_page()) {
            expect_spec_valid("BackgroundAssetsResponse", *page);
            BOOST_TEST(page->data.size() <= 3u);
            for (const auto& a : page->data)
                names.push_back(*a.attributes->asset_pack_identifier);
            if (pages.total())
                BOOST_TEST(*pages.total() == 7);
        }
        co_return std::pair{names, pages.pages_fetched()};
    };
    auto [names, pages] = rt.run(walk());
    BOOST_TEST(names.size() == 7u);
    BOOST_TEST(std::is_sorted(names.begin(), names.end()));
    BOOST_TEST(pages == 3u);

    auto ids = [&]() -> asio::awaitable<std::size_t> {
        std::size_t n = 0;
        auto pages = c.paginate_background_asset_ids(app_id, {2});
        while (auto page = co_await pages.next_page())
            n += page->data.size();
        co_return n;
    };
    BOOST_TEST(rt.run(ids()) == 7u);

    // The same without a coroutine: a callback per page, then every item at once.
    api::background_assets_query q;
    q.limit = 3;
    auto pager = c.paginate_background_assets(app_id, q);
    std::size_t seen = 0; // written on the io thread, read after the future is ready
    auto count = [&seen](const api::page<api::background_asset>& p) {
        seen += p.data.size();
        return true;
    };
    auto walked = pager.async_for_each_page(count, asio::use_future);
    BOOST_REQUIRE(walked.wait_for(120s) == std::future_status::ready);
    BOOST_TEST(walked.get() == 3u);
    BOOST_TEST(seen == 7u);
    auto again = c.paginate_background_assets(app_id, q);
    auto all = again.async_all(asio::use_future);
    BOOST_REQUIRE(all.wait_for(120s) == std::future_status::ready);
    BOOST_TEST(all.get().size() == 7u);
}

BOOST_AUTO_TEST_CASE(simulator_errors_are_typed_and_faults_are_retried) {
    sim::simulator s;
    const std::string app_id = s.options().app_ids.at(0);
    auto key = s.create_api_key();
    runner rt;
    api::client c(rt.io.get_executor(), config_for(s, key));

    try {
        rt.run(c.get_background_asset("no-such-pack"));
        BOOST_FAIL("no 404");
    } catch (const api::api_error& e) {
        BOOST_TEST(e.status() == 404u);
        BOOST_TEST(!e.errors().empty());
        BOOST_TEST(e.errors()[0].status == "404");
    }

    rt.run(c.create_background_asset(app_id, "Dup"));
    try {
        rt.run(c.create_background_asset(app_id, "Dup"));
        BOOST_FAIL("no 409 for a duplicate identifier");
    } catch (const api::api_error& e) {
        BOOST_TEST(e.status() == 409u);
        BOOST_TEST(e.has_code("ENTITY_ERROR"));
    }

    // 429 and 503 faults on a GET are retried into a success.
    sim::fault_rule busy;
    busy.route = "apps_backgroundAssets_getToManyRelated";
    busy.status = 429;
    busy.max_hits = 2;
    sim::fault_rule down;
    down.route = "apps_backgroundAssets_getToManyRelated";
    down.status = 503;
    down.max_hits = 1;
    s.set_faults({busy, down});
    auto before = c.stats();
    auto page = rt.run(c.list_background_assets(app_id));
    BOOST_TEST(page.data.size() == 1u);
    auto after = c.stats();
    BOOST_TEST(after.retries - before.retries == 3u);
    BOOST_TEST(after.rate_limited - before.rate_limited == 2u);
    s.clear_faults();

    // A revoked key gets 403, typed.
    s.revoke_api_key(key.key_id);
    try {
        rt.run(c.list_background_asset_ids(app_id));
        BOOST_FAIL("no 403 for a revoked key");
    } catch (const api::api_error& e) {
        BOOST_TEST(e.status() == 403u);
    }

    // An individual key works too (sub "user", no iss).
    auto individual = s.create_api_key(true);
    api::client c2(rt.io.get_executor(), config_for(s, individual));
    BOOST_TEST(rt.run(c2.list_background_asset_ids(app_id)).data.size() == 1u);
}
