// The validator bridge itself: it must accept what the spec allows and reject what it does not,
// or every conformance check built on it proves nothing.
#include <boost/test/unit_test.hpp>

#include <support/spec_validator.hpp>

#include <boost/json/parse.hpp>

using ascpp::test::spec_validator;

// The shared test PCH includes unit_test.hpp before this file could define BOOST_TEST_MODULE, so
// the header generates no main: define it here (dynamic Boost.Test).
static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "conformance_validator";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

namespace {
bool mentions(const std::vector<std::string>& problems, std::string_view text) {
    for (const auto& p : problems)
        if (p.find(text) != std::string::npos)
            return true;
    return false;
}
} // namespace

BOOST_AUTO_TEST_CASE(accepts_the_reference_minimal_bodies) {
    // The minimal valid bodies of the spec's create and update requests.
    const char* bodies[][2] = {
        {"BackgroundAssetCreateRequest",
         R"({"data":{"type":"backgroundAssets","attributes":{"assetPackIdentifier":"Tutorial"},"relationships":{"app":{"data":{"type":"apps","id":"123456789"}}}}})"},
        {"BackgroundAssetUpdateRequest",
         R"({"data":{"type":"backgroundAssets","id":"abc","attributes":{"archived":true}}})"},
        {"BackgroundAssetVersionCreateRequest",
         R"({"data":{"type":"backgroundAssetVersions","relationships":{"backgroundAsset":{"data":{"type":"backgroundAssets","id":"p"}}}}})"},
        {"BackgroundAssetUploadFileCreateRequest",
         R"({"data":{"type":"backgroundAssetUploadFiles","attributes":{"assetType":"ASSET","fileName":"Tutorial.aar","fileSize":59587},"relationships":{"backgroundAssetVersion":{"data":{"type":"backgroundAssetVersions","id":"v"}}}}})"},
        {"BackgroundAssetUploadFileUpdateRequest",
         R"({"data":{"type":"backgroundAssetUploadFiles","id":"u","attributes":{"uploaded":true,"sourceFileChecksums":{"file":{"hash":"00","algorithm":"MD5"}}}}})"},
    };
    for (auto& [schema, body] : bodies) {
        auto problems = spec_validator::check_text(schema, body, true);
        BOOST_TEST(problems.empty(), schema << ": " << spec_validator::describe(problems));
    }
}

BOOST_AUTO_TEST_CASE(rejects_wrong_types_missing_members_and_bad_enums) {
    auto problems = spec_validator::check_text(
        "BackgroundAssetUploadFileCreateRequest",
        R"({"data":{"type":"backgroundAssetUploadFiles","attributes":{"assetType":"ARCHIVE","fileName":"a","fileSize":0},"relationships":{"backgroundAssetVersion":{"data":{"type":"backgroundAssetVersions"}}}}})");
    BOOST_TEST(mentions(problems, "data.attributes.assetType"), spec_validator::describe(problems));
    BOOST_TEST(mentions(problems, "data.attributes.fileSize"), spec_validator::describe(problems));
    BOOST_TEST(mentions(problems, "'id' is a required property"),
               spec_validator::describe(problems));

    problems = spec_validator::check_text("BackgroundAssetResponse", R"({"data":{"id":"x"}})");
    BOOST_TEST(mentions(problems, "'links' is a required property"));
    BOOST_TEST(mentions(problems, "'type' is a required property"));
}

BOOST_AUTO_TEST_CASE(nullable_members_accept_null_only_where_declared) {
    auto ok = spec_validator::check_text(
        "BackgroundAssetUploadFileUpdateRequest",
        R"({"data":{"type":"backgroundAssetUploadFiles","id":"u","attributes":{"uploaded":null,"sourceFileChecksums":null,"sourceFileChecksum":null}}})");
    BOOST_TEST(ok.empty(), spec_validator::describe(ok));
    auto bad = spec_validator::check_text(
        "BackgroundAssetUploadFile",
        R"({"type":"backgroundAssetUploadFiles","id":"u","attributes":{"fileName":null}})");
    BOOST_TEST(mentions(bad, "attributes.fileName"), spec_validator::describe(bad));
}

BOOST_AUTO_TEST_CASE(strict_mode_rejects_undeclared_members_lenient_mode_keeps_them) {
    const char* body =
        R"({"data":{"type":"backgroundAssets","id":"abc","attributes":{"archived":true,"archivd":true}}})";
    BOOST_TEST(spec_validator::check_text("BackgroundAssetUpdateRequest", body).empty());
    auto strict = spec_validator::check_text("BackgroundAssetUpdateRequest", body, true);
    BOOST_TEST(mentions(strict, "archivd"), spec_validator::describe(strict));
}

BOOST_AUTO_TEST_CASE(discriminated_included_members_must_match_one_kind) {
    auto problems = spec_validator::check_text(
        "BackgroundAssetResponse",
        R"({"data":{"type":"backgroundAssets","id":"1"},"links":{"self":"https://x/v1/backgroundAssets/1"},
            "included":[{"type":"apps","id":"2","attributes":{"name":"A"}},{"type":"backgroundAssetUploadFiles","id":"3"}]})");
    BOOST_TEST(problems.size() == 1u, spec_validator::describe(problems));
    BOOST_TEST(mentions(problems, "included[1]"), spec_validator::describe(problems));
}

BOOST_AUTO_TEST_CASE(unknown_schema_and_non_json_are_problems_not_crashes) {
    BOOST_TEST(!spec_validator::check_text("NoSuchSchema", "{}").empty());
    BOOST_TEST(!spec_validator::check_text("ErrorResponse", "{not json").empty());
    // The process survives a bad request and keeps answering.
    BOOST_TEST(spec_validator::check_text("ErrorResponse", R"({"errors":[]})").empty());
}

BOOST_AUTO_TEST_CASE(many_documents_through_one_process) {
    // Hundreds of checks must be cheap: one python process answers all of them.
    int invalid = 0;
    for (int i = 0; i < 300; ++i) {
        boost::json::value doc = boost::json::parse(
            R"({"errors":[{"status":"409","code":"ENTITY_ERROR","title":"t"}]})");
        if (i % 3 == 0)
            doc.as_object()["errors"].as_array()[0].as_object().erase("code");
        if (!spec_validator::check("ErrorResponse", doc).empty())
            ++invalid;
    }
    BOOST_TEST(invalid == 100);
}
