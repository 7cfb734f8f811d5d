// ascpp assets|versions|files|releases against the simulator, in both output modes.
#include "cli_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

namespace json = boost::json;
using namespace ascpp::test;

BOOST_FIXTURE_TEST_SUITE(resources, cli_fixture)

BOOST_AUTO_TEST_CASE(assets_in_both_output_modes) {
    // create (json): the resource as the API returns it, under "data"
    auto created = ascpp_json({"assets", "create", "--app", app_id, "--identifier", "Tutorial"});
    BOOST_TEST(str(created, {"data", "type"}) == "backgroundAssets");
    BOOST_TEST(str(created, {"data", "attributes", "assetPackIdentifier"}) == "Tutorial");
    auto id = str(created, {"data", "id"});

    // create (table)
    auto r = ascpp({"assets", "create", "--app", app_id, "--identifier", "Levels"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "IDENTIFIER"));
    BOOST_TEST(contains(r.out, "Levels"));

    // list (json and table)
    auto list = ascpp_json({"assets", "list", "--app", app_id});
    BOOST_TEST(list.at("data").as_array().size() == 2u);
    r = ascpp({"assets", "list", "--app", app_id});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out.starts_with("ID "));
    BOOST_TEST(contains(r.out, "Tutorial"));
    BOOST_TEST(contains(r.out, "Levels"));

    // list --identifier filters
    list = ascpp_json({"assets", "list", "--app", app_id, "--identifier", "Levels"});
    BOOST_REQUIRE(list.at("data").as_array().size() == 1u);
    BOOST_TEST(str(list.at("data").at(0), {"attributes", "assetPackIdentifier"}) == "Levels");

    // get
    auto got = ascpp_json({"assets", "get", id});
    BOOST_TEST(str(got, {"data", "id"}) == id);
    r = ascpp({"assets", "get", id});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(contains(r.out, "Tutorial"));
    BOOST_TEST(contains(r.out, app_id)); // the APP relationship

    // archive, then --archived filters, then unarchive
    auto archived = ascpp_json({"assets", "archive", id});
    BOOST_TEST(archived.at("data").at("attributes").at("archived").as_bool());
    list = ascpp_json({"assets", "list", "--app", app_id, "--archived", "true"});
    BOOST_REQUIRE(list.at("data").as_array().size() == 1u);
    BOOST_TEST(str(list.at("data").at(0), {"id"}) == id);
    list = ascpp_json({"assets", "list", "--app", app_id, "--archived", "false"});
    BOOST_TEST(list.at("data").as_array().size() == 1u);
    // Archiving is irreversible on the service (as the simulator models it): unarchive sends
    // archived=false and reports the refusal; on a pack that is not archived it is accepted.
    r = ascpp({"assets", "unarchive", id});
    BOOST_TEST(r.exit_code == 1, r.err);
    BOOST_TEST(contains(r.err, "HTTP 409"));
    auto levels = str(list.at("data").at(0), {"id"});
    auto unarchived = ascpp_json({"assets", "unarchive", levels});
    BOOST_TEST(!unarchived.at("data").at("attributes").at("archived").as_bool());
}

BOOST_AUTO_TEST_CASE(empty_lists) {
    auto list = ascpp_json({"assets", "list", "--app", app_id});
    BOOST_TEST(list.at("data").as_array().empty());
    auto r = ascpp({"assets", "list", "--app", app_id});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out == "No asset packs.\n");
}

BOOST_AUTO_TEST_CASE(versions_files_and_releases) {
    auto asset = str(ascpp_json({"assets", "create", "--app", app_id, "--identifier", "Pack"}),
                     {"data", "id"});
    auto v1 = ascpp_json({"versions", "create", "--asset", asset});
    BOOST_TEST(str(v1, {"data", "type"}) == "backgroundAssetVersions");
    BOOST_TEST(str(v1, {"data", "attributes", "state"}) == "AWAITING_UPLOAD");
    auto version = str(v1, {"data", "id"});
    auto r = ascpp({"versions", "create", "--asset", asset});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "AWAITING_UPLOAD"));

    auto list = ascpp_json({"versions", "list", "--asset", asset, "--sort=-version"});
    BOOST_REQUIRE(list.at("data").as_array().size() == 2u);
    BOOST_TEST(str(list.at("data").at(0), {"attributes", "version"}) == "2");
    list = ascpp_json({"versions", "list", "--asset", asset, "--state", "complete"});
    BOOST_TEST(list.at("data").as_array().empty());
    r = ascpp({"versions", "list", "--asset", asset});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(contains(r.out, "VERSION"));
    BOOST_TEST(contains(r.out, "STATE"));

    BOOST_TEST(str(ascpp_json({"versions", "get", version}), {"data", "id"}) == version);
    r = ascpp({"versions", "get", version});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(contains(r.out, "AWAITING_UPLOAD"));

    // upload a small archive, then files list/get see it
    auto pack = make_file("Pack.aar", 3 * 1024 * 1024 + 17);
    auto up = ascpp_json({"upload", "--version", version, "--type", "ASSET", pack.string()});
    auto file_id = str(up, {"data", "id"});
    auto state = str(up, {"data", "attributes", "assetDeliveryState", "state"});
    BOOST_TEST((state == "UPLOAD_COMPLETE" || state == "COMPLETE"), state);
    BOOST_TEST(up.at("upload").at("fileSize").as_int64() == 3 * 1024 * 1024 + 17);
    BOOST_TEST(up.at("upload").at("parts").as_int64() == 4);
    BOOST_TEST(sim.stats().upload_authorization_headers == 0u);

    auto files = ascpp_json({"files", "list", "--version", version});
    BOOST_REQUIRE(files.at("data").as_array().size() == 1u);
    BOOST_TEST(str(files.at("data").at(0), {"attributes", "fileName"}) == "Pack.aar");
    r = ascpp({"files", "list", "--version", version});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(contains(r.out, "Pack.aar"));
    BOOST_TEST(contains(r.out, "ASSET"));
    BOOST_TEST(str(ascpp_json({"files", "get", file_id}), {"data", "id"}) == file_id);
    r = ascpp({"files", "get", file_id});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(contains(r.out, "FILE CHECKSUM"));

    // once processed, the internal beta release exists; the other two do not yet
    auto done = ascpp_json({"wait", "version", version, "--timeout", "60s"});
    BOOST_TEST(str(done, {"data", "attributes", "state"}) == "COMPLETE");
    BOOST_TEST(sim.stats().checksums_matched == 1u); // counted once the file is processed
    auto releases = ascpp_json({"releases", "get", "--version", version});
    BOOST_TEST(str(releases, {"version", "id"}) == version);
    BOOST_TEST(str(releases, {"internalBetaRelease", "attributes", "state"}) ==
               "READY_FOR_TESTING");
    BOOST_TEST(releases.at("externalBetaRelease").is_null());
    BOOST_TEST(releases.at("appStoreRelease").is_null());
    r = ascpp({"releases", "get", "--version", version});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(contains(r.out, "internal-beta"));
    BOOST_TEST(contains(r.out, "READY_FOR_TESTING"));
    BOOST_TEST(contains(r.out, "app-store"));
}

BOOST_AUTO_TEST_CASE(api_errors_show_code_title_detail_and_exit_1) {
    auto r = ascpp({"assets", "get", "no-such-asset"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "HTTP 404"));
    BOOST_TEST(contains(r.err, "NOT_FOUND"));
    BOOST_TEST(r.out.empty());

    // The JSON error document carries the service's errors.
    r = ascpp({"assets", "get", "no-such-asset", "--output", "json"});
    BOOST_TEST(r.exit_code == 1);
    auto doc = json::parse(r.out);
    BOOST_TEST(doc.at("error").at("exitCode").as_int64() == 1);
    BOOST_TEST(doc.at("error").at("status").as_int64() == 404);
    BOOST_TEST(str(doc, {"error", "operation"}) == "backgroundAssets_getInstance");
    BOOST_TEST(!doc.at("error").at("errors").as_array().empty());

    // A duplicate identifier is a conflict.
    BOOST_TEST(ascpp({"assets", "create", "--app", app_id, "--identifier", "Dup"}).exit_code == 0);
    r = ascpp({"assets", "create", "--app", app_id, "--identifier", "Dup"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "HTTP 409"));
}

BOOST_AUTO_TEST_SUITE_END()
