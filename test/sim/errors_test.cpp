// Every error class a client must tell apart, with plain HTTPS requests: the status, the
// ErrorResponse shape (checked against the spec by the fixture), Apple's code and the `source`
// that names the bad parameter or body member; and the rate-limit header on every response.
#include <boost/test/unit_test.hpp>

#include "sim_fixture.hpp"

#include <ascpp/auth/token_provider.hpp>

using namespace ascpp::test;

namespace {

struct first_error {
    std::string code, status, parameter, pointer;
};

first_error error_of(const http_result& r) {
    first_error e;
    const json::value doc_20 = r.json();
    auto& err = doc_20.at("errors").at(0).as_object();
    e.code = std::string(err.at("code").as_string());
    e.status = std::string(err.at("status").as_string());
    if (auto* s = err.if_contains("source")) {
        if (auto* p = s->as_object().if_contains("parameter"))
            e.parameter = std::string(p->as_string());
        if (auto* p = s->as_object().if_contains("pointer"))
            e.pointer = std::string(p->as_string());
    }
    return e;
}

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

json::object asset_body(const std::string& identifier, const std::string& app) {
    return json::parse(
               R"({"data":{"type":"backgroundAssets","attributes":{"assetPackIdentifier":")" +
               identifier + R"("},"relationships":{"app":{"data":{"type":"apps","id":")" + app +
               R"("}}}}})")
        .as_object();
}

} // namespace

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(bad_query_parameters_are_400_naming_the_parameter) {
    sim_env env;
    const std::string app = "1000000001";
    auto pack = env.create_pack("Errors");
    struct bad {
        std::string path;
        std::string parameter;
        std::string code = "PARAMETER_ERROR.INVALID";
    };
    const std::string assets = "/v1/apps/" + app + "/backgroundAssets";
    const std::string versions = "/v1/backgroundAssets/" + pack + "/versions";
    std::vector<bad> cases = {
        {assets + "?limit=0", "limit"},
        {assets + "?limit=201", "limit"},
        {assets + "?limit=ten", "limit"},
        {"/v1/apps/" + app + "/relationships/backgroundAssets?limit=-1", "limit"},
        {assets + "?filter[versions.platforms]=WINDOWS", "filter[versions.platforms]"},
        {assets + "?filter[archived]=maybe", "filter[archived]"},
        {assets + "?sort=name", "sort"},
        {assets + "?sort=assetPackIdentifier,version", "sort"},
        {assets + "?fields[backgroundAssets]=name", "fields[backgroundAssets]"},
        {assets + "?include=versions", "include"},
        {assets + "?cursor=notacursor", "cursor"},
        {versions + "?filter[state]=DONE", "filter[state]"},
        {versions + "?filter[appStoreRelease.state]=LIVE", "filter[appStoreRelease.state]"},
        {versions + "?sort=createdDate", "sort"},
        {"/v1/backgroundAssets/" + pack + "?fields[backgroundAssetVersions]=size",
         "fields[backgroundAssetVersions]"},
        // A parameter the operation does not take at all.
        {assets + "?filter[name]=x", "filter[name]", "PARAMETER_ERROR.ILLEGAL"},
        {"/v1/backgroundAssets/" + pack + "?limit=5", "limit", "PARAMETER_ERROR.ILLEGAL"},
    };
    for (auto& c : cases) {
        BOOST_TEST_CONTEXT(c.path) {
            auto r = env.api(verb::get, c.path);
            BOOST_TEST_REQUIRE(r.status == 400u, r.body);
            auto e = error_of(r);
            BOOST_TEST(e.code == c.code);
            BOOST_TEST(e.status == "400");
            BOOST_TEST(e.parameter == c.parameter);
            BOOST_TEST(r.header("X-Rate-Limit").starts_with("user-hour-lim:3600;user-hour-rem:"));
        }
    }
    // The valid extremes of limit are accepted.
    BOOST_TEST(env.api(verb::get, assets + "?limit=1").status == 200u);
    BOOST_TEST(env.api(verb::get, assets + "?limit=200").status == 200u);
}

BOOST_AUTO_TEST_CASE(bad_tokens_are_401_not_authorized) {
    sim_env env;
    const std::string path = "/v1/apps/1000000001/backgroundAssets";
    auto team_token = [&](auto&& edit) {
        ascpp::auth::token_claims claims;
        claims.key_id = env.key.key_id;
        claims.issuer_id = env.key.issuer_id;
        claims.issued_at = now_s() - 60;
        claims.expires_at = now_s() + 600;
        edit(claims);
        return "Bearer " + ascpp::auth::sign_token(env.private_key, claims);
    };
    auto other_key = env.sim.create_api_key();
    auto other_private = ascpp::auth::private_key::from_pem(other_key.private_key_pem);
    ascpp::auth::token_claims wrong_signer;
    wrong_signer.key_id = env.key.key_id; // signed by another key under this kid
    wrong_signer.issuer_id = env.key.issuer_id;
    wrong_signer.issued_at = now_s() - 60;
    wrong_signer.expires_at = now_s() + 600;

    std::vector<std::pair<std::string, std::optional<std::string>>> cases = {
        {"missing", std::nullopt},
        {"not bearer", "Basic dXNlcjpwYXNz"},
        {"garbage", "Bearer not.a.jwt"},
        {"two segments", "Bearer abc.def"},
        {"expired", team_token([](auto& c) {
             c.issued_at = now_s() - 1500;
             c.expires_at = now_s() - 400;
         })},
        {"wrong aud", team_token([](auto& c) { c.audience = "appstoreconnect-v2"; })},
        {"lifetime over 20 minutes", team_token([](auto& c) {
             c.issued_at = now_s();
             c.expires_at = now_s() + 20 * 60 + 30;
         })},
        {"unknown kid", team_token([](auto& c) { c.key_id = "UNKNOWN123"; })},
        {"wrong issuer",
         team_token([](auto& c) { c.issuer_id = "00000000-0000-0000-0000-000000000000"; })},
        {"issued in the future", team_token([](auto& c) {
             c.issued_at = now_s() + 600;
             c.expires_at = now_s() + 900;
         })},
        {"wrong signature", "Bearer " + ascpp::auth::sign_token(other_private, wrong_signer)},
        {"scope elsewhere",
         team_token([](auto& c) { c.scope = {"GET /v1/backgroundAssets/somethingelse"}; })},
    };
    for (auto& [name, header] : cases) {
        BOOST_TEST_CONTEXT(name) {
            std::vector<std::pair<std::string, std::string>> headers;
            if (header)
                headers.emplace_back("Authorization", *header);
            auto r = env.api_raw(verb::get, path, "", headers);
            BOOST_TEST_REQUIRE(r.status == 401u, r.body);
            auto e = error_of(r);
            BOOST_TEST(e.code == "NOT_AUTHORIZED");
            BOOST_TEST(e.status == "401");
            // Unauthenticated requests count against nobody's budget, but say what it is.
            BOOST_TEST(r.header("X-Rate-Limit") == "user-hour-lim:3600;user-hour-rem:3600;");
            // The refusal never echoes the token.
            if (header && header->size() > 40)
                BOOST_TEST(r.body.find(header->substr(7, 40)) == std::string::npos);
        }
    }
    BOOST_TEST(env.sim.stats().unauthorized == cases.size());

    // A token within the limits and scoped to this request is accepted.
    auto good =
        env.api_raw(verb::get, path, "",
                    {{"Authorization", team_token([&](auto& c) { c.scope = {"GET " + path}; })}});
    BOOST_TEST(good.status == 200u, good.body);
    // Scope matching ignores the query order and limit, cursor and sort, not other parameters.
    auto scoped = team_token([&](auto& c) {
        c.scope = {"GET " + path + "?filter[archived]=false&filter[assetPackIdentifier]=a"};
    });
    auto in_scope = env.api_raw(
        verb::get, path + "?limit=5&filter[assetPackIdentifier]=a&filter[archived]=false", "",
        {{"Authorization", scoped}});
    BOOST_TEST(in_scope.status == 200u, in_scope.body);
    auto out_of_scope =
        env.api_raw(verb::get, path + "?filter[archived]=true", "", {{"Authorization", scoped}});
    BOOST_TEST(out_of_scope.status == 401u);
    auto other_method = env.api_raw(
        verb::post, "/v1/backgroundAssets", json::serialize(asset_body("S", "1000000001")),
        {{"Authorization", scoped}, {"Content-Type", "application/json"}});
    BOOST_TEST(other_method.status == 401u);
    auto twenty = env.api_raw(verb::get, path, "", {{"Authorization", team_token([](auto& c) {
                                                         c.issued_at = now_s() - 10;
                                                         c.expires_at = now_s() - 10 + 20 * 60;
                                                     })}});
    BOOST_TEST(twenty.status == 200u, twenty.body);
}

BOOST_AUTO_TEST_CASE(revoked_keys_are_403_and_unknown_resources_404) {
    sim_env env;
    auto other = env.sim.create_api_key();
    auto other_private = ascpp::auth::private_key::from_pem(other.private_key_pem);
    env.sim.revoke_api_key(other.key_id);
    ascpp::auth::token_claims claims;
    claims.key_id = other.key_id;
    claims.issuer_id = other.issuer_id;
    claims.issued_at = now_s() - 60;
    claims.expires_at = now_s() + 600;
    auto forbidden = env.api_raw(
        verb::get, "/v1/apps/1000000001/backgroundAssets", "",
        {{"Authorization", "Bearer " + ascpp::auth::sign_token(other_private, claims)}});
    BOOST_TEST_REQUIRE(forbidden.status == 403u, forbidden.body);
    BOOST_TEST(error_of(forbidden).code == "FORBIDDEN_ERROR");
    BOOST_TEST(error_of(forbidden).status == "403");

    for (std::string path :
         {"/v1/apps/999/backgroundAssets", "/v1/apps/999/relationships/backgroundAssets",
          "/v1/backgroundAssets/nope", "/v1/backgroundAssets/nope/versions",
          "/v1/backgroundAssetVersions/nope",
          "/v1/backgroundAssetVersions/nope/"
          "backgroundAssetUploadFiles",
          "/v1/backgroundAssetUploadFiles/nope",
          "/v1/backgroundAssetVersionInternalBetaReleases/nope",
          "/v1/backgroundAssetVersionExternalBetaReleases/nope",
          "/v1/backgroundAssetVersionAppStoreReleases/nope"}) {
        BOOST_TEST_CONTEXT(path) {
            auto r = env.api(verb::get, path);
            BOOST_TEST_REQUIRE(r.status == 404u, r.body);
            BOOST_TEST(error_of(r).code == "NOT_FOUND");
            BOOST_TEST(error_of(r).status == "404");
        }
    }
    auto no_path = env.api(verb::get, "/v1/backgroundAssetThings");
    BOOST_TEST(no_path.status == 404u);
    BOOST_TEST(error_of(no_path).code == "PATH_ERROR");
    // A pack for an app that does not exist cannot be created.
    auto no_app = env.api(verb::post, "/v1/backgroundAssets", asset_body("X", "999"));
    BOOST_TEST(no_app.status >= 400u);
    BOOST_TEST(no_app.status < 500u);
}

BOOST_AUTO_TEST_CASE(duplicates_are_409_and_invalid_bodies_422_with_a_pointer) {
    sim_env env;
    auto pack = env.create_pack("Dup");
    auto dup = env.api(verb::post, "/v1/backgroundAssets", asset_body("Dup", "1000000001"));
    BOOST_TEST_REQUIRE(dup.status == 409u, dup.body);
    BOOST_TEST(error_of(dup).code.starts_with("ENTITY_ERROR"));
    BOOST_TEST(error_of(dup).pointer == "/data/attributes/assetPackIdentifier");

    auto version = env.create_version(pack);
    auto upload_file = [&](json::object attributes) {
        return json::object{
            {"data",
             {{"type", "backgroundAssetUploadFiles"},
              {"attributes", std::move(attributes)},
              {"relationships",
               {{"backgroundAssetVersion",
                 {{"data", {{"type", "backgroundAssetVersions"}, {"id", version}}}}}}}}}};
    };
    struct bad {
        std::string name, path;
        json::value body;
        std::string pointer;
    };
    std::vector<bad> cases = {
        {"no data", "/v1/backgroundAssets", json::object{{"meta", 1}}, "/data"},
        {"wrong type", "/v1/backgroundAssets",
         json::parse(R"({"data":{"type":"apps","attributes":{"assetPackIdentifier":"A"},)"
                     R"("relationships":{"app":{"data":{"type":"apps","id":"1000000001"}}}}})"),
         "/data/type"},
        {"no identifier", "/v1/backgroundAssets",
         json::parse(R"({"data":{"type":"backgroundAssets","attributes":{},)"
                     R"("relationships":{"app":{"data":{"type":"apps","id":"1000000001"}}}}})"),
         "/data/attributes/assetPackIdentifier"},
        {"identifier not a string", "/v1/backgroundAssets",
         json::parse(R"({"data":{"type":"backgroundAssets","attributes":{"assetPackIdentifier":7},)"
                     R"("relationships":{"app":{"data":{"type":"apps","id":"1000000001"}}}}})"),
         "/data/attributes/assetPackIdentifier"},
        {"no app", "/v1/backgroundAssets",
         json::parse(
             R"({"data":{"type":"backgroundAssets","attributes":{"assetPackIdentifier":"A"}}})"),
         "/data/relationships"},
        {"wrong related type", "/v1/backgroundAssetVersions",
         json::parse(R"({"data":{"type":"backgroundAssetVersions","relationships":)"
                     R"({"backgroundAsset":{"data":{"type":"apps","id":")" +
                     pack + R"("}}}}})"),
         "/data/relationships/backgroundAsset/data/type"},
        {"bad asset type", "/v1/backgroundAssetUploadFiles",
         upload_file({{"assetType", "VIDEO"}, {"fileName", "a"}, {"fileSize", 10}}),
         "/data/attributes/assetType"},
        {"zero size", "/v1/backgroundAssetUploadFiles",
         upload_file({{"assetType", "ASSET"}, {"fileName", "a"}, {"fileSize", 0}}),
         "/data/attributes/fileSize"},
        {"size too large", "/v1/backgroundAssetUploadFiles",
         upload_file(
             {{"assetType", "ASSET"}, {"fileName", "a"}, {"fileSize", 9007199254740992ull}}),
         "/data/attributes/fileSize"},
        {"size as a string", "/v1/backgroundAssetUploadFiles",
         upload_file({{"assetType", "ASSET"}, {"fileName", "a"}, {"fileSize", "10"}}),
         "/data/attributes/fileSize"},
        {"no file name", "/v1/backgroundAssetUploadFiles",
         upload_file({{"assetType", "ASSET"}, {"fileSize", 10}}), "/data/attributes/fileName"},
    };
    for (auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            auto r = env.api(verb::post, c.path, c.body);
            BOOST_TEST_REQUIRE(r.status == 422u, r.body);
            auto e = error_of(r);
            BOOST_TEST(e.code.starts_with("ENTITY_UNPROCESSABLE"));
            BOOST_TEST(e.status == "422");
            BOOST_TEST(e.pointer == c.pointer);
        }
    }
    // A commit with a checksum algorithm the spec does not list.
    auto file = env.reserve(version, "a.aar", 10);
    auto bad_alg = env.commit(std::string(file.at("id").as_string()),
                              json::parse(R"({"file":{"hash":"00","algorithm":"CRC32"}})"));
    BOOST_TEST_REQUIRE(bad_alg.status == 422u, bad_alg.body);
    BOOST_TEST(error_of(bad_alg).pointer == "/data/attributes/sourceFileChecksums/file/algorithm");
    // Not JSON at all: 400.
    auto not_json =
        env.api_raw(verb::post, "/v1/backgroundAssets", "{not json",
                    {{"Authorization", env.bearer()}, {"Content-Type", "application/json"}});
    BOOST_TEST(not_json.status == 400u);
}

BOOST_AUTO_TEST_CASE(spent_rate_budget_is_429_and_every_response_says_what_remains) {
    auto options = test_options();
    options.rate_limit = 5;
    sim_env env(options);
    const std::string path = "/v1/apps/1000000001/backgroundAssets";
    for (int i = 1; i <= 5; ++i) {
        // Errors count too: every other request is a 404.
        auto r = env.api(verb::get, i % 2 ? path : "/v1/backgroundAssets/none");
        BOOST_TEST(r.status == (i % 2 ? 200u : 404u));
        BOOST_TEST(r.header("X-Rate-Limit") ==
                   "user-hour-lim:5;user-hour-rem:" + std::to_string(5 - i) + ";");
    }
    for (int i = 0; i < 3; ++i) {
        auto r = env.api(verb::get, path);
        BOOST_TEST_REQUIRE(r.status == 429u, r.body);
        BOOST_TEST(error_of(r).code == "RATE_LIMIT_EXCEEDED");
        BOOST_TEST(error_of(r).status == "429");
        BOOST_TEST(r.header("X-Rate-Limit") == "user-hour-lim:5;user-hour-rem:0;");
    }
    BOOST_TEST(env.sim.stats().rate_limited == 3u);
    // The budget is per key: another key still has all of it.
    auto other = env.sim.create_api_key();
    ascpp::auth::token_claims claims;
    claims.key_id = other.key_id;
    claims.issuer_id = other.issuer_id;
    claims.issued_at = now_s() - 60;
    claims.expires_at = now_s() + 600;
    auto r = env.api_raw(
        verb::get, path, "",
        {{"Authorization",
          "Bearer " + ascpp::auth::sign_token(
                          ascpp::auth::private_key::from_pem(other.private_key_pem), claims)}});
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.header("X-Rate-Limit") == "user-hour-lim:5;user-hour-rem:4;");
}

BOOST_AUTO_TEST_SUITE_END()
