// ascpp::api models: JSON round trips of canned documents (checked against the spec by an
// independent validator), forward compatibility, request bodies, query encoding, API errors and
// the X-Rate-Limit header.
#include <boost/test/unit_test.hpp>

#include "query_encoding.hpp"

#include <ascpp/api/document.hpp>
#include <ascpp/api/error.hpp>
#include <ascpp/api/json.hpp>
#include <ascpp/api/query.hpp>
#include <ascpp/api/rate_limit.hpp>
#include <ascpp/api/requests.hpp>

#include <support/spec_validator.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "api_models_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace api = ascpp::api;
namespace json = boost::json;
using ascpp::test::spec_validator;

namespace {

std::filesystem::path fixtures() {
    const char* src = std::getenv("ASCPP_SOURCE_DIR");
    BOOST_REQUIRE(src);
    return std::filesystem::path(src) / "test" / "api" / "fixtures";
}

json::value load(const std::string& name) {
    std::ifstream in(fixtures() / name);
    BOOST_REQUIRE_MESSAGE(in, "missing fixture " << name);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

template <class T>
T round_trip(const json::value& original, const std::string& what) {
    T decoded = json::value_to<T>(original);
    json::value again = json::value_from(decoded);
    BOOST_TEST(again == original, what << " did not survive a round trip:\n"
                                       << json::serialize(original) << "\n"
                                       << json::serialize(again));
    // And decoding the re-encoded form gives the same model.
    BOOST_TEST((json::value_to<T>(again) == decoded), what);
    return decoded;
}

void expect_valid(std::string_view schema, const json::value& doc, bool strict = true) {
    auto problems = spec_validator::check(schema, doc, strict);
    BOOST_TEST(problems.empty(), schema << ": " << spec_validator::describe(problems));
}

std::string url_with(const std::function<void(boost::urls::url&)>& f) {
    boost::urls::url u("https://api.appstoreconnect.apple.com/v1/x");
    f(u);
    return std::string(u.encoded_query());
}

} // namespace

BOOST_AUTO_TEST_CASE(every_canned_response_is_spec_valid_and_round_trips) {
    using namespace api;
    struct fixture {
        const char* file;
        const char* schema;
        std::function<void(const json::value&)> check;
    };
    std::vector<fixture> all = {
        {"BackgroundAssetsResponse.json", "BackgroundAssetsResponse",
         [](auto& v) { round_trip<page<background_asset>>(v, "BackgroundAssetsResponse"); }},
        {"AppBackgroundAssetsLinkagesResponse.json", "AppBackgroundAssetsLinkagesResponse",
         [](auto& v) { round_trip<page<resource_identifier>>(v, "linkages"); }},
        {"BackgroundAssetResponse.json", "BackgroundAssetResponse",
         [](auto& v) { round_trip<document<background_asset>>(v, "BackgroundAssetResponse"); }},
        {"BackgroundAssetVersionsResponse.json", "BackgroundAssetVersionsResponse",
         [](auto& v) { round_trip<page<background_asset_version>>(v, "versions"); }},
        {"BackgroundAssetVersionsLinkagesResponse.json", "BackgroundAssetVersionsLinkagesResponse",
         [](auto& v) { round_trip<page<resource_identifier>>(v, "version linkages"); }},
        {"BackgroundAssetVersionResponse.json", "BackgroundAssetVersionResponse",
         [](auto& v) { round_trip<document<background_asset_version>>(v, "version"); }},
        {"BackgroundAssetUploadFilesResponse.json", "BackgroundAssetUploadFilesResponse",
         [](auto& v) { round_trip<page<background_asset_upload_file>>(v, "upload files"); }},
        {"BackgroundAssetVersionBackgroundAssetUploadFilesLinkagesResponse.json",
         "BackgroundAssetVersionBackgroundAssetUploadFilesLinkagesResponse",
         [](auto& v) { round_trip<page<resource_identifier>>(v, "upload file linkages"); }},
        {"BackgroundAssetUploadFileResponse.json", "BackgroundAssetUploadFileResponse",
         [](auto& v) { round_trip<document<background_asset_upload_file>>(v, "reservation"); }},
        {"BackgroundAssetUploadFileResponse.committed.json", "BackgroundAssetUploadFileResponse",
         [](auto& v) { round_trip<document<background_asset_upload_file>>(v, "commit"); }},
        {"BackgroundAssetVersionInternalBetaReleaseResponse.json",
         "BackgroundAssetVersionInternalBetaReleaseResponse",
         [](auto& v) { round_trip<document<internal_beta_release>>(v, "internal"); }},
        {"BackgroundAssetVersionExternalBetaReleaseResponse.json",
         "BackgroundAssetVersionExternalBetaReleaseResponse",
         [](auto& v) { round_trip<document<external_beta_release>>(v, "external"); }},
        {"BackgroundAssetVersionAppStoreReleaseResponse.json",
         "BackgroundAssetVersionAppStoreReleaseResponse",
         [](auto& v) { round_trip<document<app_store_release>>(v, "app store"); }},
    };
    for (const auto& f : all) {
        BOOST_TEST_CONTEXT(f.file) {
            auto doc = load(f.file);
            expect_valid(f.schema, doc);
            f.check(doc);
        }
    }
}

BOOST_AUTO_TEST_CASE(list_page_exposes_paging_and_resolves_included) {
    auto p =
        json::value_to<api::page<api::background_asset>>(load("BackgroundAssetsResponse.json"));
    BOOST_REQUIRE_EQUAL(p.data.size(), 2u);
    const auto& pack = p.data[0];
    BOOST_TEST(pack.id == "3c1f4f2e-7a55-4a83-9e43-0b1d51c7f9a1");
    BOOST_TEST(*pack.attributes->asset_pack_identifier == "Tutorial");
    BOOST_TEST(*pack.attributes->used_bytes == 1048576);
    BOOST_TEST(*p.data[1].attributes->archived == true);
    BOOST_TEST(p.total().value_or(-1) == 5);
    BOOST_TEST(p.meta->paging.limit == 2);
    BOOST_TEST(*p.meta->paging.next_cursor == "Ag.AKyTJ2c");
    BOOST_TEST(p.has_next());
    BOOST_TEST(p.links.next->find("cursor=Ag.AKyTJ2c") != std::string::npos);

    const api::app* app = p.included.find<api::app>(pack.relationships->app);
    BOOST_REQUIRE(app);
    BOOST_TEST(*app->attributes->bundle_id == "com.example.tutorial");
    BOOST_TEST((*app->attributes->subscription_status_url_version ==
                api::subscription_status_url_version::v2));
    const auto* v =
        p.included.find<api::background_asset_version>(pack.relationships->internal_beta_version);
    BOOST_REQUIRE(v);
    BOOST_TEST(*v->attributes->version == "3");
    // Relationship with no data (not included) resolves to nothing, not to a wrong resource.
    BOOST_TEST(
        !p.included.find<api::background_asset_version>(pack.relationships->app_store_version));
    // A type mismatch never resolves.
    BOOST_TEST(!p.included.find<api::background_asset>(pack.relationships->app));
}

BOOST_AUTO_TEST_CASE(version_page_resolves_every_included_kind) {
    auto p = json::value_to<api::page<api::background_asset_version>>(
        load("BackgroundAssetVersionsResponse.json"));
    const auto& v = p.data.at(0);
    const auto& r = *v.relationships;
    BOOST_TEST(
        (p.included.find<api::internal_beta_release>(r.internal_beta_release)->attributes->state ==
         api::internal_beta_release_state::ready_for_testing));
    BOOST_TEST(
        (p.included.find<api::external_beta_release>(r.external_beta_release)->attributes->state ==
         api::external_beta_release_state::waiting_for_review));
    BOOST_TEST((p.included.find<api::app_store_release>(r.app_store_release)->attributes->state ==
                api::app_store_release_state::prepare_for_submission));
    const auto* asset_file = p.included.find<api::background_asset_upload_file>(r.asset_file);
    const auto* manifest = p.included.find<api::background_asset_upload_file>(r.manifest_file);
    BOOST_REQUIRE(asset_file);
    BOOST_REQUIRE(manifest);
    BOOST_TEST((*asset_file->attributes->asset_type == api::asset_type::asset));
    BOOST_TEST((*manifest->attributes->asset_type == api::asset_type::manifest));
    BOOST_TEST(p.included.find<api::background_asset>(r.background_asset) != nullptr);
    BOOST_TEST(p.included.all<api::background_asset_upload_file>().size() == 2u);

    const auto& a = *v.attributes;
    BOOST_TEST((*a.state == api::background_asset_version_state::complete));
    BOOST_TEST(a.state->is_known());
    BOOST_TEST(a.platforms->size() == 2u);
    BOOST_TEST((a.platforms->at(1) == api::platform::vision_os));
    BOOST_TEST(*a.locale == "en-US");
    BOOST_TEST(a.state_details->errors->empty());
    BOOST_TEST(*a.state_details->warnings->at(0).code == "ASSET_PACK_LARGE");
    BOOST_TEST(*a.state_details->infos->at(0).description == "Processing finished.");
    BOOST_TEST((*p.data.at(1).attributes->state == api::background_asset_version_state::failed));
}

BOOST_AUTO_TEST_CASE(relationships_live_on_the_heap_and_copy_as_values) {
    // A version's relationships are over a kilobyte of links and identifiers: boxed, a version
    // held in every waiting watch's result slot costs a pointer for them.
    static_assert(sizeof(api::boxed<api::background_asset_version::relationships_type>) ==
                  sizeof(void*));
    auto p = json::value_to<api::page<api::background_asset_version>>(
        load("BackgroundAssetVersionsResponse.json"));
    const auto& v = p.data.at(0);
    BOOST_TEST_REQUIRE(v.relationships.has_value());
    auto copy = v;
    BOOST_TEST((copy == v));
    BOOST_TEST((&*copy.relationships != &*v.relationships)); // a copy, not a shared box
    copy.relationships->asset_file.reset();
    BOOST_TEST(!(copy == v));
    copy.relationships = std::nullopt;
    BOOST_TEST(!copy.relationships);
    BOOST_TEST((copy.relationships == std::nullopt));
    // Absent and null both read as no relationships; encoding leaves them out.
    auto without = json::value_to<api::background_asset_version>(
        json::parse(R"({"type":"backgroundAssetVersions","id":"v1","relationships":null})"));
    BOOST_TEST(!without.relationships);
    BOOST_TEST(!json::value_from(without).as_object().contains("relationships"));
    auto back = json::value_to<api::background_asset_version>(json::value_from(v));
    BOOST_TEST((back == v));
}

BOOST_AUTO_TEST_CASE(reservation_carries_upload_operations_and_checksums) {
    auto d = json::value_to<api::document<api::background_asset_upload_file>>(
        load("BackgroundAssetUploadFileResponse.json"));
    const auto& a = *d.data.attributes;
    BOOST_TEST((*a.asset_delivery_state->state == api::delivery_state::awaiting_upload));
    BOOST_TEST(*a.file_size == 12582912);
    const auto& ops = *a.upload_operations;
    BOOST_REQUIRE_EQUAL(ops.size(), 3u);
    std::int64_t total = 0;
    for (const auto& op : ops) {
        BOOST_TEST(*op.method == "PUT");
        BOOST_TEST(*op.request_headers->at(0).name == "Content-Type");
        BOOST_TEST(*op.offset == (*op.part_number - 1) * 5242880);
        BOOST_TEST(!op.entity_tag.has_value());
        total += *op.length;
    }
    BOOST_TEST(total == 12582912);
    BOOST_TEST((*a.source_file_checksums->file->algorithm == api::checksum_algorithm::md5));
    BOOST_TEST(*a.source_file_checksums->composite->hash == "6448ec67a2ba4bd1b2a4fe3b7a3e1c11");

    auto committed = json::value_to<api::document<api::background_asset_upload_file>>(
        load("BackgroundAssetUploadFileResponse.committed.json"));
    const auto& s = *committed.data.attributes->asset_delivery_state;
    BOOST_TEST((*s.state == api::delivery_state::failed));
    BOOST_TEST(*s.errors->at(0).code == "CHECKSUM_MISMATCH");
    BOOST_TEST(!committed.data.attributes->upload_operations.has_value());
}

BOOST_AUTO_TEST_CASE(null_upload_operations_after_commit_read_as_absent) {
    // Apple sends `uploadOperations: null` and `entityTag: null` [obs X-ALTOOL].
    auto doc = load("BackgroundAssetUploadFileResponse.json");
    auto& attrs = doc.at("data").at("attributes").as_object();
    attrs["uploadOperations"] = nullptr;
    auto d = json::value_to<api::document<api::background_asset_upload_file>>(doc);
    BOOST_TEST(!d.data.attributes->upload_operations.has_value());
}

BOOST_AUTO_TEST_CASE(unknown_enum_values_attributes_and_resources_survive) {
    auto original = load("future.BackgroundAssetVersionResponse.json");
    // The independent validator agrees this is outside the spec...
    BOOST_TEST(!spec_validator::check("BackgroundAssetVersionResponse", original).empty());
    // ...yet the client reads it and writes it back unchanged.
    auto d = round_trip<api::document<api::background_asset_version>>(original, "future");
    const auto& a = *d.data.attributes;
    BOOST_TEST(a.state->str() == "ARCHIVED");
    BOOST_TEST(!a.state->is_known());
    BOOST_TEST((a.state != api::background_asset_version_state::complete));
    BOOST_TEST(a.platforms->at(1).str() == "WATCH_OS");
    BOOST_TEST(!a.platforms->at(1).is_known());
    BOOST_TEST(a.unknown.at("deliveryRegion").at("code").as_string() == "EU");
    BOOST_TEST(d.data.relationships->unknown.contains("previousVersion"));
    BOOST_TEST(d.data.unknown.contains("meta"));
    BOOST_TEST(d.links.unknown.contains("describedBy"));
    BOOST_TEST(d.unknown.contains("jsonapi"));

    const auto* ext =
        d.included.find<api::external_beta_release>(d.data.relationships->external_beta_release);
    BOOST_REQUIRE(ext);
    BOOST_TEST(ext->attributes->state->str() == "PAUSED");
    const auto* file =
        d.included.find<api::background_asset_upload_file>(d.data.relationships->asset_file);
    BOOST_REQUIRE(file);
    BOOST_TEST(file->attributes->asset_delivery_state->state->str() == "QUARANTINED");
    BOOST_TEST(file->attributes->source_file_checksums->file->algorithm->str() == "BLAKE3");
    BOOST_TEST(file->attributes->upload_operations->at(0).unknown.at("transport").as_string() ==
               "HTTP3");
    bool unknown_kept = false;
    for (const auto& item : d.included.items)
        if (auto* o = std::get_if<api::json_object>(&item))
            unknown_kept = o->at("type").as_string() == "gameCenterLeaderboards";
    BOOST_TEST(unknown_kept);
}

BOOST_AUTO_TEST_CASE(decode_errors_name_the_member) {
    auto doc = load("BackgroundAssetUploadFileResponse.json");
    doc.at("data").at("attributes").as_object()["fileSize"] = "12";
    try {
        (void)json::value_to<api::document<api::background_asset_upload_file>>(doc);
        BOOST_FAIL("decoded a string fileSize");
    } catch (const api::decode_error& e) {
        BOOST_TEST(e.pointer() == "/data/attributes/fileSize");
        BOOST_TEST(std::string(e.what()).find("expected an integer") != std::string::npos);
    }

    auto page = load("BackgroundAssetsResponse.json");
    page.at("data").as_array()[1].as_object().erase("id");
    try {
        (void)json::value_to<api::page<api::background_asset>>(page);
        BOOST_FAIL("decoded a resource without id");
    } catch (const api::decode_error& e) {
        BOOST_TEST(e.pointer() == "/data/1");
        BOOST_TEST(e.problem().find("\"id\"") != std::string::npos);
    }

    auto wrong = load("BackgroundAssetResponse.json");
    wrong.at("data").as_object()["type"] = "apps";
    BOOST_CHECK_THROW((void)json::value_to<api::document<api::background_asset>>(wrong),
                      api::decode_error);
    BOOST_CHECK_THROW((void)json::value_to<api::document<api::background_asset>>(json::parse("[]")),
                      api::decode_error);
    BOOST_CHECK_THROW((void)json::value_to<api::document<api::background_asset>>(
                          json::parse(R"({"data":{"type":"backgroundAssets","id":"x"}})")),
                      api::decode_error);
}

BOOST_AUTO_TEST_CASE(request_bodies_are_spec_valid_and_decode_back) {
    api::background_asset_create_request create{"1234567890", "Tutorial"};
    auto v = json::value_from(create);
    expect_valid("BackgroundAssetCreateRequest", v);
    BOOST_TEST((json::value_to<api::background_asset_create_request>(v) == create));

    api::background_asset_update_request archive{"pack-1", true};
    v = json::value_from(archive);
    expect_valid("BackgroundAssetUpdateRequest", v);
    BOOST_TEST(v.at("data").at("attributes").at("archived").as_bool());
    BOOST_TEST((json::value_to<api::background_asset_update_request>(v) == archive));
    expect_valid("BackgroundAssetUpdateRequest",
                 json::value_from(api::background_asset_update_request{"p", {}}));

    api::background_asset_version_create_request version{"pack-1"};
    v = json::value_from(version);
    expect_valid("BackgroundAssetVersionCreateRequest", v);
    BOOST_TEST(!v.at("data").as_object().contains("attributes"));
    BOOST_TEST((json::value_to<api::background_asset_version_create_request>(v) == version));

    api::background_asset_upload_file_create_request reserve{"ver-1", api::asset_type::manifest,
                                                             "Manifest.json", 2048};
    v = json::value_from(reserve);
    expect_valid("BackgroundAssetUploadFileCreateRequest", v);
    BOOST_TEST((json::value_to<api::background_asset_upload_file_create_request>(v) == reserve));

    api::background_asset_upload_file_update_request commit;
    commit.id = "file-1";
    commit.uploaded = true;
    commit.source_file_checksums.emplace();
    commit.source_file_checksums->file =
        api::checksum{"9e107d9d372bb6826bd81d3542a419d6", api::checksum_algorithm::md5, {}};
    commit.source_file_checksums->composite =
        api::checksum{"6448ec67a2ba4bd1b2a4fe3b7a3e1c11", api::checksum_algorithm::md5, {}};
    v = json::value_from(commit);
    expect_valid("BackgroundAssetUploadFileUpdateRequest", v);
    BOOST_TEST((json::value_to<api::background_asset_upload_file_update_request>(v) == commit));
    commit.source_file_checksum = "9e107d9d372bb6826bd81d3542a419d6";
    expect_valid("BackgroundAssetUploadFileUpdateRequest", json::value_from(commit));
}

BOOST_AUTO_TEST_CASE(request_body_decoding_reports_json_pointers) {
    // The simulator answers 422/409 with these pointers.
    auto expect_pointer = [](std::string_view body, std::string_view pointer, auto tag) {
        using T = typename decltype(tag)::type;
        try {
            (void)json::value_to<T>(json::parse(body));
            BOOST_FAIL("accepted " << body);
        } catch (const api::decode_error& e) {
            BOOST_TEST(e.pointer() == pointer, body << " -> " << e.what());
        }
    };
    using create_file = std::type_identity<api::background_asset_upload_file_create_request>;
    expect_pointer(
        R"({"data":{"type":"backgroundAssetUploadFiles","attributes":{"assetType":"ASSET","fileName":"a","fileSize":"1"},"relationships":{"backgroundAssetVersion":{"data":{"type":"backgroundAssetVersions","id":"v"}}}}})",
        "/data/attributes/fileSize", create_file{});
    expect_pointer(
        R"({"data":{"type":"backgroundAssetUploadFiles","attributes":{"assetType":"ASSET","fileSize":1},"relationships":{"backgroundAssetVersion":{"data":{"type":"backgroundAssetVersions","id":"v"}}}}})",
        "/data/attributes", create_file{});
    expect_pointer(
        R"({"data":{"type":"backgroundAssetUploadFiles","attributes":{"assetType":"ASSET","fileName":"a","fileSize":1},"relationships":{"backgroundAssetVersion":{"data":{"type":"backgroundAssets","id":"v"}}}}})",
        "/data/relationships/backgroundAssetVersion/data/type", create_file{});
    expect_pointer(
        R"({"data":{"type":"backgroundAsset","attributes":{"assetPackIdentifier":"x"}}})",
        "/data/type", std::type_identity<api::background_asset_create_request>{});
    expect_pointer(R"({"dta":{}})", "",
                   std::type_identity<api::background_asset_version_create_request>{});
    expect_pointer(
        R"({"data":{"type":"backgroundAssets","attributes":{"archived":"yes"},"id":"x"}})",
        "/data/attributes/archived", std::type_identity<api::background_asset_update_request>{});
}

BOOST_AUTO_TEST_CASE(query_encoding_is_form_explode_false) {
    api::background_assets_query q;
    q.filter_asset_pack_identifier = {"Tutorial", "Level,2"};
    q.filter_versions_platforms = {api::platform::ios, api::platform::vision_os};
    q.filter_archived = {"false"};
    q.sort = {std::string(api::sort::background_assets::created_date_desc)};
    q.fields_background_assets = {"assetPackIdentifier", "archived"};
    q.include = {"app", "internalBetaVersion"};
    q.limit = 200;
    BOOST_TEST(url_with([&](auto& u) { api::append_query(u, q); }) ==
               "filter%5Barchived%5D=false"
               "&filter%5BassetPackIdentifier%5D=Tutorial,Level%2C2"
               "&filter%5Bversions.platforms%5D=IOS,VISION_OS"
               "&sort=-createdDate"
               "&fields%5BbackgroundAssets%5D=assetPackIdentifier,archived"
               "&limit=200&include=app,internalBetaVersion");

    api::background_asset_versions_query vq;
    vq.filter_state = {api::background_asset_version_state::processing,
                       api::background_asset_version_state::failed};
    vq.filter_app_store_release_state = {api::app_store_release_state::ready_for_distribution};
    vq.filter_internal_beta_release_state = {api::internal_beta_release_state::superseded};
    vq.filter_external_beta_release_state = {api::external_beta_release_state::in_review};
    vq.filter_locale = {"en-US"};
    vq.filter_version = {"3"};
    vq.sort = {"-version"};
    vq.fields_background_asset_upload_files = {"assetDeliveryState"};
    vq.limit = 1;
    BOOST_TEST(url_with([&](auto& u) { api::append_query(u, vq); }) ==
               "filter%5Blocale%5D=en-US&filter%5Bstate%5D=PROCESSING,FAILED&filter%5Bversion%5D=3"
               "&filter%5BinternalBetaRelease.state%5D=SUPERSEDED"
               "&filter%5BexternalBetaRelease.state%5D=IN_REVIEW"
               "&filter%5BappStoreRelease.state%5D=READY_FOR_DISTRIBUTION&sort=-version"
               "&fields%5BbackgroundAssetUploadFiles%5D=assetDeliveryState&limit=1");

    api::release_query rq;
    rq.fields_release = {"state"};
    rq.include = {"backgroundAssetVersion"};
    BOOST_TEST(url_with([&](auto& u) {
                   api::append_query(u, rq, api::app_store_release::resource_type);
               }) == "fields%5BbackgroundAssetVersionAppStoreReleases%5D=state"
                     "&include=backgroundAssetVersion");
    // Nothing set: no query at all.
    BOOST_TEST(url_with([&](auto& u) { api::append_query(u, api::background_asset_query{}); }) ==
               "");

    // The encoded names and values decode back to what the spec names.
    boost::urls::url u("https://x/v1");
    api::append_query(u, q);
    bool found = false;
    for (auto p : u.params())
        if (p.key == "filter[assetPackIdentifier]") {
            found = true;
            BOOST_TEST(p.value == "Tutorial,Level,2"); // decoded view; the wire keeps %2C
        }
    BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(limit_is_validated) {
    boost::urls::url u("https://x/v1");
    for (int bad : {0, -1, 201, 100000})
        BOOST_CHECK_THROW(api::append_query(u, api::linkages_query{bad}), std::invalid_argument);
    api::background_asset_versions_query q;
    q.limit = 201;
    BOOST_CHECK_THROW(api::append_query(u, q), std::invalid_argument);
    api::background_asset_query empty_value;
    empty_value.include = {""};
    BOOST_CHECK_THROW(api::append_query(u, empty_value), std::invalid_argument);
    BOOST_CHECK_NO_THROW(api::append_query(u, api::linkages_query{1}));
    BOOST_CHECK_NO_THROW(api::append_query(u, api::linkages_query{200}));
}

BOOST_AUTO_TEST_CASE(every_error_status_becomes_a_typed_api_error) {
    for (unsigned status : {400u, 401u, 403u, 404u, 409u, 422u, 429u}) {
        BOOST_TEST_CONTEXT("status " << status) {
            auto body = load("ErrorResponse." + std::to_string(status) + ".json");
            expect_valid("ErrorResponse", body);
            api::api_error e(status, "backgroundAssets_createInstance",
                             "REQ-" + std::to_string(status), json::serialize(body));
            BOOST_TEST(e.status() == status);
            BOOST_TEST(e.request_id() == "REQ-" + std::to_string(status));
            BOOST_REQUIRE_EQUAL(e.errors().size(), body.at("errors").as_array().size());
            const auto& first = e.errors().front();
            const auto& raw = body.at("errors").as_array()[0].as_object();
            BOOST_TEST(first.status == std::to_string(status));
            BOOST_TEST(first.code == raw.at("code").as_string());
            BOOST_TEST(first.title == raw.at("title").as_string());
            BOOST_TEST(*first.id == raw.at("id").as_string());
            BOOST_TEST(*first.detail == raw.at("detail").as_string());
            std::string what = e.what();
            BOOST_TEST(what.find('\n') == std::string::npos);
            BOOST_TEST(what.find("HTTP " + std::to_string(status)) != std::string::npos);
            BOOST_TEST(what.find(first.code) != std::string::npos);
            BOOST_TEST(what.find("REQ-" + std::to_string(status)) != std::string::npos);
            BOOST_TEST(what.find("backgroundAssets_createInstance") != std::string::npos);
        }
    }
    api::api_error conflict(409, "op", "", json::serialize(load("ErrorResponse.409.json")));
    BOOST_TEST(conflict.has_code("ENTITY_ERROR"));
    BOOST_TEST(conflict.has_code("ENTITY_ERROR.ATTRIBUTE"));
    BOOST_TEST(!conflict.has_code("ENTITY_ERR"));
    BOOST_TEST(!conflict.has_code("ENTITY_UNPROCESSABLE"));
    BOOST_TEST(conflict.code() == "ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE");
    BOOST_TEST(*conflict.errors()[0].source->pointer == "/data/attributes/assetPackIdentifier");
    BOOST_TEST(conflict.errors()[0].meta->at("associatedErrors").is_object());
    BOOST_TEST(conflict.errors()[1].links->at("associated").at("href").is_string());
    BOOST_TEST(std::string(conflict.what()).find("(+1 more)") != std::string::npos);
    BOOST_TEST(std::string(conflict.what()).find("/data/attributes/assetPackIdentifier") !=
               std::string::npos);

    api::api_error bad_param(400, "op", "", json::serialize(load("ErrorResponse.400.json")));
    BOOST_TEST(*bad_param.errors()[0].source->parameter == "sort");
    api::api_error unprocessable(422, "op", "", json::serialize(load("ErrorResponse.422.json")));
    BOOST_TEST(unprocessable.errors()[0].meta->at("position").at("column").as_int64() == 98);

    // 405/406/410/415/500 may come without an ErrorResponse: still typed, with an excerpt.
    api::api_error plain(406, "op", "", "Not Acceptable\r\nuse application/json");
    BOOST_TEST(plain.errors().empty());
    BOOST_TEST(plain.body_excerpt() == "Not Acceptable  use application/json");
    BOOST_TEST(std::string(plain.what()).find('\n') == std::string::npos);
    api::api_error empty(500, "op", "", "");
    BOOST_TEST(std::string(empty.what()) == "op: HTTP 500");
}

BOOST_AUTO_TEST_CASE(rate_limit_header_parsing) {
    auto r = api::parse_rate_limit("user-hour-lim:3500;user-hour-rem:500;");
    BOOST_REQUIRE(r);
    BOOST_TEST(*r->hour_limit == 3500);
    BOOST_TEST(*r->hour_remaining == 500);
    BOOST_TEST(r->to_string() == "500 of 3500 requests left this hour");

    r = api::parse_rate_limit(
        " user-minute-lim:60 ; user-hour-lim:3600;user-minute-rem:59;user-hour-rem:3599");
    BOOST_REQUIRE(r);
    BOOST_TEST(*r->hour_limit == 3600);
    BOOST_TEST(*r->hour_remaining == 3599);
    BOOST_TEST(r->pairs.at("user-minute-rem") == "59");
    BOOST_TEST(r->pairs.size() == 4u);

    r = api::parse_rate_limit("user-hour-lim:abc;garbage;user-hour-rem:-1;;");
    BOOST_REQUIRE(r);
    BOOST_TEST(!r->hour_limit);
    BOOST_TEST(!r->hour_remaining);
    BOOST_TEST(!api::parse_rate_limit(""));
    BOOST_TEST(!api::parse_rate_limit(";;;"));
    BOOST_TEST(!api::parse_rate_limit("nonsense"));
}

// The spec's release state enums (read from the OpenAPI document itself), against the constants.
BOOST_AUTO_TEST_CASE(release_state_enums_are_the_specs) {
    const char* src = std::getenv("ASCPP_SOURCE_DIR");
    BOOST_REQUIRE(src);
    std::ifstream in(std::filesystem::path(src) / "spec" / "background-assets.openapi.json");
    BOOST_REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    const auto schemas = json::parse(ss.str()).at("components").at("schemas").as_object();
    auto values = [](const json::value& e) {
        std::set<std::string> out;
        for (const auto& v : e.as_array())
            out.insert(std::string(v.as_string()));
        return out;
    };
    auto known = [](const auto& array) {
        return std::set<std::string>(array.begin(), array.end());
    };
    const auto internal = values(schemas.at("BackgroundAssetVersionInternalBetaRelease")
                                     .at("properties")
                                     .at("attributes")
                                     .at("properties")
                                     .at("state")
                                     .at("enum"));
    const auto external =
        values(schemas.at("BackgroundAssetVersionExternalBetaReleaseState").at("enum"));
    const auto app_store =
        values(schemas.at("BackgroundAssetVersionAppStoreReleaseState").at("enum"));
    BOOST_TEST((known(api::internal_beta_release_state::known_values) == internal));
    BOOST_TEST((known(api::external_beta_release_state::known_values) == external));
    BOOST_TEST((known(api::app_store_release_state::known_values) == app_store));
    std::set<std::string> any = internal;
    any.insert(external.begin(), external.end());
    any.insert(app_store.begin(), app_store.end());
    BOOST_TEST((known(api::release_state::known_values) == any));
    BOOST_TEST(api::release_state::known_values.size() == any.size()); // no value twice
}
