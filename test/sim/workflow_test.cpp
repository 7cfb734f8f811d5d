// The whole publishing workflow against the simulator with plain HTTPS requests (not through
// ascpp's client): every state transition, status code and header a client relies on. Every JSON
// body is checked against the spec on the way (sim_fixture).
#include <boost/test/unit_test.hpp>

#include "sim_fixture.hpp"

#include <set>

// The shared test PCH includes unit_test.hpp before a BOOST_TEST_MODULE could be defined, so
// there is no generated main: this is it (dynamic Boost.Test).
static bool init_tests() {
    boost::unit_test::framework::master_test_suite().p_name.value = "sim_test";
    return true;
}
int main(int argc, char* argv[]) {
    return boost::unit_test::unit_test_main(&init_tests, argc, argv);
}

using namespace ascpp::test;

namespace {

std::string state_of(const json::object& data) {
    return std::string(data.at("attributes").at("state").as_string());
}
std::string delivery_state_of(const json::object& data) {
    return std::string(data.at("attributes").at("assetDeliveryState").at("state").as_string());
}
std::string related_id(const json::object& data, std::string_view rel) {
    auto* rels = data.if_contains("relationships");
    if (!rels)
        return {};
    auto* r = rels->as_object().if_contains(rel);
    if (!r)
        return {};
    auto* d = r->as_object().if_contains("data");
    return d ? std::string(d->at("id").as_string()) : std::string();
}

std::string upper(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

json::object get_data(sim_env& env, const std::string& path) {
    auto r = env.api(verb::get, path);
    BOOST_TEST_REQUIRE(r.status == 200u, path << ": " << r.body);
    return r.json().at("data").as_object();
}

std::string release_state(sim_env& env, const std::string& type, const std::string& id) {
    return state_of(get_data(env, "/v1/" + type + "/" + id));
}

// Publishes one version (optionally with a manifest) and returns {version id, asset file id}.
std::pair<std::string, std::string> upload_version(sim_env& env, const std::string& pack,
                                                   const std::string& bytes,
                                                   std::optional<json::value> checksums) {
    auto version = env.create_version(pack);
    auto file = env.reserve(version, "Pack.aar", bytes.size());
    for (auto& r : env.upload_parts(file, bytes))
        BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto id = std::string(file.at("id").as_string());
    auto c = env.commit(id, checksums);
    BOOST_TEST_REQUIRE(c.status == 200u, c.body);
    return {version, id};
}

} // namespace

BOOST_AUTO_TEST_CASE(publishes_an_asset_pack_through_every_state) {
    sim_env env;
    const std::string app = "1000000001";

    // An app starts with no packs; every response carries the rate-limit header.
    auto list = env.api(verb::get, "/v1/apps/" + app + "/backgroundAssets");
    BOOST_TEST_REQUIRE(list.status == 200u);
    BOOST_TEST(list.json().at("data").as_array().empty());
    BOOST_TEST(list.json().at("meta").at("paging").at("total").as_int64() == 0);
    BOOST_TEST(list.header("X-Rate-Limit").starts_with("user-hour-lim:3600;user-hour-rem:"));

    // Create the pack: 201, Location, the attributes Apple returns.
    auto created = env.api(
        verb::post, "/v1/backgroundAssets",
        json::parse(
            R"({"data":{"type":"backgroundAssets","attributes":{"assetPackIdentifier":"Tutorial"},"relationships":{"app":{"data":{"type":"apps","id":"1000000001"}}}}})"));
    BOOST_TEST_REQUIRE(created.status == 201u, created.body);
    auto pack_data = created.json().at("data").as_object();
    auto pack = std::string(pack_data.at("id").as_string());
    BOOST_TEST(created.header("Location") == env.sim.api_url() + "/v1/backgroundAssets/" + pack);
    BOOST_TEST(pack_data.at("attributes").at("assetPackIdentifier").as_string() == "Tutorial");
    BOOST_TEST(pack_data.at("attributes").at("archived").as_bool() == false);
    BOOST_TEST(pack_data.at("attributes").at("usedBytes").as_int64() == 0);
    BOOST_TEST(related_id(pack_data, "app") == app);

    // The identifier is unique per app...
    auto dup = env.api(
        verb::post, "/v1/backgroundAssets",
        json::parse(
            R"({"data":{"type":"backgroundAssets","attributes":{"assetPackIdentifier":"Tutorial"},"relationships":{"app":{"data":{"type":"apps","id":"1000000001"}}}}})"));
    BOOST_TEST(dup.status == 409u);
    auto dup_err = dup.json().at("errors").at(0).as_object();
    BOOST_TEST(std::string(dup_err.at("code").as_string()).starts_with("ENTITY_ERROR"));
    BOOST_TEST(dup_err.at("status").as_string() == "409");
    BOOST_TEST(dup_err.at("source").at("pointer").as_string() ==
               "/data/attributes/assetPackIdentifier");
    // ...but another app may use it.
    env.create_pack("Tutorial", "1000000002");

    // Version 1: the server numbers it and it waits for uploads.
    auto v_created = env.api(
        verb::post, "/v1/backgroundAssetVersions",
        json::parse(
            R"({"data":{"type":"backgroundAssetVersions","relationships":{"backgroundAsset":{"data":{"type":"backgroundAssets","id":")" +
            pack + R"("}}}}})"));
    BOOST_TEST_REQUIRE(v_created.status == 201u, v_created.body);
    auto v1_data = v_created.json().at("data").as_object();
    auto v1 = std::string(v1_data.at("id").as_string());
    BOOST_TEST(v_created.header("Location") ==
               env.sim.api_url() + "/v1/backgroundAssetVersions/" + v1);
    BOOST_TEST(v1_data.at("attributes").at("version").as_string() == "1");
    BOOST_TEST(state_of(v1_data) == "AWAITING_UPLOAD");

    // The manifest first: its platforms become the version's.
    std::string manifest =
        R"({"assetPackID":"Tutorial","downloadPolicy":{"onDemand":{}},"fileSelectors":[{"directory":"Assets"}],"platforms":["iOS","macOS"]})";
    auto mfile = env.reserve(v1, "Manifest.json", manifest.size(), "MANIFEST");
    auto mfile_id = std::string(mfile.at("id").as_string());
    for (auto& r : env.upload_parts(mfile, manifest))
        BOOST_TEST_REQUIRE(r.status == 200u);
    BOOST_TEST(env.commit(mfile_id).status == 200u);
    BOOST_TEST(env.wait_for("/v1/backgroundAssetUploadFiles/" + mfile_id, delivery_state_of,
                            {"COMPLETE", "FAILED"}) == "COMPLETE");

    // The archive: a reservation with shuffled 64 KiB parts on the upload host.
    const std::string bytes = make_bytes(300 * 1024 + 123);
    auto file = env.reserve(v1, "Tutorial.aar", bytes.size());
    auto file_id = std::string(file.at("id").as_string());
    BOOST_TEST(delivery_state_of(file) == "AWAITING_UPLOAD");
    auto& ops = file.at("attributes").at("uploadOperations").as_array();
    BOOST_TEST_REQUIRE(ops.size() == 5u);
    std::set<std::int64_t> numbers;
    std::vector<std::int64_t> listed;
    std::uint64_t covered = 0;
    for (auto& op : ops) {
        auto& o = op.as_object();
        BOOST_TEST(o.at("method").as_string() == "PUT");
        auto url = std::string(o.at("url").as_string());
        BOOST_TEST(url.starts_with(env.sim.upload_url() + "/"));
        BOOST_TEST(!url.starts_with(env.sim.api_url()));
        auto n = o.at("partNumber").as_int64();
        numbers.insert(n);
        listed.push_back(n);
        BOOST_TEST(o.at("offset").as_int64() == (n - 1) * 64 * 1024);
        covered += o.at("length").to_number<std::uint64_t>();
        BOOST_TEST(o.at("requestHeaders").at(0).at("name").as_string() == "Content-Type");
        BOOST_TEST(o.at("requestHeaders").at(0).at("value").as_string() ==
                   "application/octet-stream");
        BOOST_TEST(!o.contains("entityTag"));
        BOOST_TEST(o.contains("expiration"));
    }
    BOOST_TEST(numbers.size() == 5u);
    BOOST_TEST(covered == bytes.size());
    BOOST_TEST(!std::is_sorted(listed.begin(), listed.end()), "operations are listed shuffled");

    // Each PUT answers the part's MD5 as its ETag; the operations then carry it.
    auto results = env.upload_parts(file, bytes);
    for (std::size_t i = 0; i < results.size(); ++i) {
        auto& o = ops[i].as_object();
        auto part = bytes.substr(o.at("offset").to_number<std::size_t>(),
                                 o.at("length").to_number<std::size_t>());
        BOOST_TEST(results[i].status == 200u);
        BOOST_TEST(results[i].header("ETag") == "\"" + upper(md5_hex(part)) + "\"");
    }
    auto after_parts = get_data(env, "/v1/backgroundAssetUploadFiles/" + file_id);
    for (auto& op : after_parts.at("attributes").at("uploadOperations").as_array())
        BOOST_TEST(op.as_object().contains("entityTag"));

    // Commit while processing is held, to see the intermediate states without racing a timer.
    env.sim.pause_processing(true);
    auto commit = env.commit(
        file_id, json::parse(R"({"file":{"hash":")" + md5_hex(bytes) + R"(","algorithm":"MD5"}})"));
    BOOST_TEST_REQUIRE(commit.status == 200u, commit.body);
    auto committed = commit.json().at("data").as_object();
    BOOST_TEST(delivery_state_of(committed) == "UPLOAD_COMPLETE");
    BOOST_TEST(!committed.at("attributes").as_object().contains("uploadOperations"));
    BOOST_TEST(committed.at("attributes").at("sourceFileChecksums").at("file").at("hash") ==
               json::value(md5_hex(bytes)));
    BOOST_TEST(state_of(get_data(env, "/v1/backgroundAssetVersions/" + v1)) == "PROCESSING");
    BOOST_TEST(delivery_state_of(get_data(env, "/v1/backgroundAssetUploadFiles/" + file_id)) ==
               "UPLOAD_COMPLETE");
    // A second commit is refused.
    BOOST_TEST(env.commit(file_id).status == 409u);
    env.sim.pause_processing(false);

    BOOST_TEST(env.wait_for("/v1/backgroundAssetUploadFiles/" + file_id, delivery_state_of,
                            {"COMPLETE", "FAILED"}) == "COMPLETE");
    BOOST_TEST(env.wait_for("/v1/backgroundAssetVersions/" + v1, state_of,
                            {"COMPLETE", "FAILED"}) == "COMPLETE");

    // COMPLETE: an internal beta release, the pack points at it, usedBytes counts the files.
    auto v1_full = env.api(verb::get, "/v1/backgroundAssetVersions/" + v1 +
                                          "?include=internalBetaRelease,assetFile,manifestFile,"
                                          "backgroundAsset");
    BOOST_TEST_REQUIRE(v1_full.status == 200u);
    auto v1_doc = v1_full.json().as_object();
    auto v1_now = v1_doc.at("data").as_object();
    auto platforms = v1_now.at("attributes").at("platforms").as_array();
    BOOST_TEST(platforms.size() == 2u);
    BOOST_TEST(platforms.at(0).as_string() == "IOS");
    BOOST_TEST(platforms.at(1).as_string() == "MAC_OS");
    BOOST_TEST(related_id(v1_now, "assetFile") == file_id);
    BOOST_TEST(related_id(v1_now, "manifestFile") == mfile_id);
    auto internal1 = related_id(v1_now, "internalBetaRelease");
    BOOST_TEST_REQUIRE(!internal1.empty());
    std::set<std::string> included_types;
    for (auto& inc : v1_doc.at("included").as_array())
        included_types.insert(std::string(inc.at("type").as_string()));
    BOOST_TEST(included_types ==
               (std::set<std::string>{"backgroundAssetVersionInternalBetaReleases",
                                      "backgroundAssetUploadFiles", "backgroundAssets"}));
    BOOST_TEST(release_state(env, "backgroundAssetVersionInternalBetaReleases", internal1) ==
               "READY_FOR_TESTING");
    auto pack_now = get_data(env, "/v1/backgroundAssets/" + pack);
    BOOST_TEST(related_id(pack_now, "internalBetaVersion") == v1);
    BOOST_TEST(pack_now.at("attributes").at("usedBytes").as_int64() ==
               static_cast<std::int64_t>(bytes.size() + manifest.size()));

    // External TestFlight, driven through the control API: a rejection, then an approval.
    auto external = [&](const std::string& version, const char* action) {
        return env.control(
            verb::post, "/sim/releases",
            json::object{{"version", version}, {"channel", "externalBeta"}, {"action", action}});
    };
    auto step = external(v1, "create");
    BOOST_TEST_REQUIRE(step.status == 200u, step.body);
    auto external1 = std::string(step.json().at("id").as_string());
    const std::string ext_type = "backgroundAssetVersionExternalBetaReleases";
    BOOST_TEST(release_state(env, ext_type, external1) == "READY_FOR_BETA_SUBMISSION");
    BOOST_TEST(external(v1, "approve").status == 409u); // not in review yet
    for (auto [action, expected] :
         std::vector<std::pair<const char*, const char*>>{{"submit", "WAITING_FOR_REVIEW"},
                                                          {"start_review", "IN_REVIEW"},
                                                          {"reject", "REJECTED"},
                                                          {"submit", "WAITING_FOR_REVIEW"},
                                                          {"start_review", "IN_REVIEW"}}) {
        BOOST_TEST(external(v1, action).status == 200u);
        BOOST_TEST(release_state(env, ext_type, external1) == expected);
    }
    env.sim.pause_processing(true);
    BOOST_TEST(external(v1, "approve").status == 200u);
    BOOST_TEST(release_state(env, ext_type, external1) == "PROCESSING_FOR_TESTING");
    env.sim.pause_processing(false);
    BOOST_TEST(env.wait_for("/v1/" + ext_type + "/" + external1, state_of, {"READY_FOR_TESTING"}) ==
               "READY_FOR_TESTING");
    BOOST_TEST(related_id(get_data(env, "/v1/backgroundAssets/" + pack), "externalBetaVersion") ==
               v1);

    // The App Store, through every state of its enum on the way to distribution.
    auto app_store = [&](const std::string& version, const char* action) {
        return env.control(
            verb::post, "/sim/releases",
            json::object{{"version", version}, {"channel", "appStore"}, {"action", action}});
    };
    step = app_store(v1, "create");
    BOOST_TEST_REQUIRE(step.status == 200u, step.body);
    auto store1 = std::string(step.json().at("id").as_string());
    const std::string store_type = "backgroundAssetVersionAppStoreReleases";
    BOOST_TEST(release_state(env, store_type, store1) == "PREPARE_FOR_SUBMISSION");
    BOOST_TEST(app_store(v1, "distribute").status == 409u);
    for (auto [action, expected] :
         std::vector<std::pair<const char*, const char*>>{{"ready", "READY_FOR_REVIEW"},
                                                          {"submit", "WAITING_FOR_REVIEW"},
                                                          {"start_review", "IN_REVIEW"},
                                                          {"reject", "REJECTED"},
                                                          {"submit", "WAITING_FOR_REVIEW"},
                                                          {"start_review", "IN_REVIEW"},
                                                          {"approve", "ACCEPTED"}}) {
        BOOST_TEST(app_store(v1, action).status == 200u);
        BOOST_TEST(release_state(env, store_type, store1) == expected);
    }
    env.sim.pause_processing(true);
    BOOST_TEST(app_store(v1, "distribute").status == 200u);
    BOOST_TEST(release_state(env, store_type, store1) == "PROCESSING_FOR_DISTRIBUTION");
    env.sim.pause_processing(false);
    BOOST_TEST(env.wait_for("/v1/" + store_type + "/" + store1, state_of,
                            {"READY_FOR_DISTRIBUTION"}) == "READY_FOR_DISTRIBUTION");
    auto release_doc =
        env.api(verb::get, "/v1/" + store_type + "/" + store1 +
                               "?include=backgroundAssetVersion&fields[" + store_type + "]=state");
    BOOST_TEST_REQUIRE(release_doc.status == 200u);
    BOOST_TEST(release_doc.json().at("included").at(0).at("id").as_string() == v1);
    BOOST_TEST(!release_doc.json().at("data").as_object().contains("relationships"));
    BOOST_TEST(related_id(get_data(env, "/v1/backgroundAssets/" + pack), "appStoreVersion") == v1);
    BOOST_TEST(app_store(v1, "advance").status == 409u); // nothing follows distribution

    // Version 2 uploads bytes that do not match the checksum it declares: FAILED, with reasons.
    const std::string bytes2 = make_bytes(100 * 1024, 9);
    auto [v2, file2] = upload_version(
        env, pack, bytes2,
        json::parse(R"({"file":{"hash":")" + md5_hex(bytes) + R"(","algorithm":"MD5"}})"));
    BOOST_TEST(env.wait_for("/v1/backgroundAssetVersions/" + v2, state_of,
                            {"COMPLETE", "FAILED"}) == "FAILED");
    auto file2_data = get_data(env, "/v1/backgroundAssetUploadFiles/" + file2);
    BOOST_TEST(delivery_state_of(file2_data) == "FAILED");
    BOOST_TEST(file2_data.at("attributes").at("assetDeliveryState").at("errors").at(0).at("code") ==
               json::value("CHECKSUM_MISMATCH"));
    auto v2_data = get_data(env, "/v1/backgroundAssetVersions/" + v2);
    BOOST_TEST(v2_data.at("attributes").at("version").as_string() == "2");
    BOOST_TEST(v2_data.at("attributes").at("stateDetails").at("errors").at(0).at("code") ==
               json::value("CHECKSUM_MISMATCH"));
    BOOST_TEST(related_id(v2_data, "internalBetaRelease").empty());
    // A FAILED version takes no more uploads.
    auto late = env.api(
        verb::post, "/v1/backgroundAssetUploadFiles",
        json::object{
            {"data",
             {{"type", "backgroundAssetUploadFiles"},
              {"attributes", {{"assetType", "ASSET"}, {"fileName", "again.aar"}, {"fileSize", 10}}},
              {"relationships",
               {{"backgroundAssetVersion",
                 {{"data", {{"type", "backgroundAssetVersions"}, {"id", v2}}}}}}}}}});
    BOOST_TEST(late.status == 409u);

    // Version 3 with a SHA-256 file checksum and a suffixed composite: it supersedes version 1
    // in every channel it reaches.
    const std::string bytes3 = make_bytes(130 * 1024, 11);
    std::string composite_input;
    for (std::size_t off = 0; off < bytes3.size(); off += 64 * 1024) {
        auto part_md5 = md5_hex(bytes3.substr(off, 64 * 1024));
        for (std::size_t i = 0; i < part_md5.size(); i += 2)
            composite_input.push_back(
                static_cast<char>(std::stoi(part_md5.substr(i, 2), nullptr, 16)));
    }
    auto composite = upper(md5_hex(composite_input)) + "-3-65536";
    auto [v3, file3] = upload_version(
        env, pack, bytes3,
        json::object{{"file", {{"hash", sha256_hex(bytes3)}, {"algorithm", "SHA_256"}}},
                     {"composite", {{"hash", composite}, {"algorithm", "MD5"}}}});
    BOOST_TEST(env.wait_for("/v1/backgroundAssetVersions/" + v3, state_of,
                            {"COMPLETE", "FAILED"}) == "COMPLETE");
    BOOST_TEST(release_state(env, "backgroundAssetVersionInternalBetaReleases", internal1) ==
               "SUPERSEDED");
    auto internal3 =
        related_id(get_data(env, "/v1/backgroundAssetVersions/" + v3), "internalBetaRelease");
    BOOST_TEST(release_state(env, "backgroundAssetVersionInternalBetaReleases", internal3) ==
               "READY_FOR_TESTING");
    for (int i = 0; i < 5; ++i) // create, submit, start_review, approve: then processing
        if (external(v3, "advance").status != 200u)
            break;
    BOOST_TEST(env.wait_for("/v1/backgroundAssetVersions/" + v3 + "?include=externalBetaRelease",
                            [&](const json::object& d) {
                                return release_state(env, ext_type,
                                                     related_id(d, "externalBetaRelease"));
                            },
                            {"READY_FOR_TESTING"}) == "READY_FOR_TESTING");
    BOOST_TEST(release_state(env, ext_type, external1) == "SUPERSEDED");
    for (int i = 0; i < 7; ++i)
        if (app_store(v3, "advance").status != 200u)
            break;
    BOOST_TEST(env.wait_for("/v1/backgroundAssets/" + pack,
                            [](const json::object& d) { return related_id(d, "appStoreVersion"); },
                            {v3}) == v3);
    BOOST_TEST(release_state(env, store_type, store1) == "SUPERSEDED");
    auto pack_v3 = get_data(env, "/v1/backgroundAssets/" + pack);
    BOOST_TEST(related_id(pack_v3, "internalBetaVersion") == v3);
    BOOST_TEST(related_id(pack_v3, "externalBetaVersion") == v3);
    BOOST_TEST(pack_v3.at("attributes").at("usedBytes").as_int64() ==
               static_cast<std::int64_t>(bytes3.size()));

    // The versions list filters by every release state and sorts by version.
    auto superseded = env.api(verb::get, "/v1/backgroundAssets/" + pack +
                                             "/versions?filter[appStoreRelease.state]=SUPERSEDED");
    BOOST_TEST_REQUIRE(superseded.status == 200u);
    BOOST_TEST(superseded.json().at("data").as_array().size() == 1u);
    BOOST_TEST(superseded.json().at("data").at(0).at("id").as_string() == v1);
    auto failed = env.api(verb::get, "/v1/backgroundAssets/" + pack +
                                         "/versions?filter[state]=FAILED,AWAITING_UPLOAD");
    BOOST_TEST(failed.json().at("data").as_array().size() == 1u);
    BOOST_TEST(failed.json().at("data").at(0).at("id").as_string() == v2);
    auto sorted = env.api(verb::get, "/v1/backgroundAssets/" + pack + "/versions?sort=-version");
    auto sorted_data = sorted.json().at("data").as_array();
    BOOST_TEST_REQUIRE(sorted_data.size() == 3u);
    BOOST_TEST(sorted_data.at(0).at("attributes").at("version").as_string() == "3");
    BOOST_TEST(sorted_data.at(2).at("attributes").at("version").as_string() == "1");
    auto ios = env.api(verb::get,
                       "/v1/apps/" + app + "/backgroundAssets?filter[versions.platforms]=MAC_OS");
    BOOST_TEST(ios.json().at("data").as_array().size() == 1u);

    // Archiving: irreversible, no new versions, nothing live, filtered by filter[archived].
    auto archive = env.api(
        verb::patch, "/v1/backgroundAssets/" + pack,
        json::object{
            {"data",
             {{"type", "backgroundAssets"}, {"id", pack}, {"attributes", {{"archived", true}}}}}});
    BOOST_TEST_REQUIRE(archive.status == 200u, archive.body);
    auto archived = archive.json().at("data").as_object();
    BOOST_TEST(archived.at("attributes").at("archived").as_bool());
    BOOST_TEST(archived.at("attributes").at("usedBytes").as_int64() == 0);
    BOOST_TEST(related_id(archived, "appStoreVersion").empty());
    BOOST_TEST(related_id(archived, "internalBetaVersion").empty());
    auto new_version = env.api(
        verb::post, "/v1/backgroundAssetVersions",
        json::parse(
            R"({"data":{"type":"backgroundAssetVersions","relationships":{"backgroundAsset":{"data":{"type":"backgroundAssets","id":")" +
            pack + R"("}}}}})"));
    BOOST_TEST(new_version.status == 409u);
    auto unarchive = env.api(
        verb::patch, "/v1/backgroundAssets/" + pack,
        json::object{
            {"data",
             {{"type", "backgroundAssets"}, {"id", pack}, {"attributes", {{"archived", false}}}}}});
    BOOST_TEST(unarchive.status == 409u);
    auto only_archived =
        env.api(verb::get, "/v1/apps/" + app + "/backgroundAssets?filter[archived]=true");
    BOOST_TEST(only_archived.json().at("data").as_array().size() == 1u);
    auto live = env.api(verb::get, "/v1/apps/" + app + "/backgroundAssets?filter[archived]=false");
    BOOST_TEST(live.json().at("data").as_array().empty());

    // What the simulator saw: no API token reached the upload host, and the checksum verdicts.
    auto stats = env.sim.stats();
    BOOST_TEST(stats.upload_authorization_headers == 0u);
    BOOST_TEST(stats.checksums_matched == 2u);    // v1 (MD5), v3 (SHA-256 + composite)
    BOOST_TEST(stats.checksums_mismatched == 1u); // v2
    BOOST_TEST(stats.checksums_absent == 1u);     // the manifest
    BOOST_TEST(stats.parts_received == 1u + 5u + 2u + 3u);
    BOOST_TEST(stats.upload_bytes_received ==
               manifest.size() + bytes.size() + bytes2.size() + bytes3.size());
    BOOST_TEST(stats.requests.at("backgroundAssets_createInstance") == 3u);
    BOOST_TEST(stats.peak_concurrent_part_uploads == 1u); // the parts went one at a time
    BOOST_TEST_MESSAGE("response bodies checked against the spec so far: " << bodies_checked());
}

namespace {

std::string hex_to_bytes(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

// The checksums of `bytes` as a commit sends them: the file's SHA-256 and the composite MD5 of
// the parts of `part_size`.
json::value checksums_of(const std::string& bytes, std::size_t part_size) {
    std::string part_md5s;
    for (std::size_t off = 0; off < bytes.size(); off += part_size)
        part_md5s += hex_to_bytes(md5_hex(bytes.substr(off, part_size)));
    return json::value{{"file", {{"hash", sha256_hex(bytes)}, {"algorithm", "SHA_256"}}},
                       {"composite", {{"hash", md5_hex(part_md5s)}, {"algorithm", "MD5"}}}};
}

} // namespace

BOOST_AUTO_TEST_CASE(committed_checksums_are_read_back_as_sent) {
    sim_env env;
    auto pack = env.create_pack("Checked");
    const std::string bytes = make_bytes(3 * 64 * 1024 + 11, 31);
    const auto checksums = checksums_of(bytes, env.sim.options().part_size);
    auto [version, file] = upload_version(env, pack, bytes, checksums);
    BOOST_TEST(env.wait_for("/v1/backgroundAssetVersions/" + version, state_of, {"COMPLETE"}) ==
               "COMPLETE");
    BOOST_TEST(env.sim.stats().checksums_matched == 1u);

    // A GET, the version's file listing, and the version listing with the file included.
    auto got = get_data(env, "/v1/backgroundAssetUploadFiles/" + file);
    BOOST_TEST(got.at("attributes").at("sourceFileChecksums") == checksums);
    auto files = env.api(verb::get,
                         "/v1/backgroundAssetVersions/" + version + "/backgroundAssetUploadFiles");
    BOOST_TEST_REQUIRE(files.status == 200u, files.body);
    BOOST_TEST(files.json().at("data").at(0).at("attributes").at("sourceFileChecksums") ==
               checksums);
    auto listed = env.api(verb::get, "/v1/backgroundAssets/" + pack +
                                         "/versions?filter[state]=COMPLETE,PROCESSING&sort=-"
                                         "version&limit=1&include=assetFile,manifestFile&fields["
                                         "backgroundAssetUploadFiles]=assetType,"
                                         "sourceFileChecksums");
    BOOST_TEST_REQUIRE(listed.status == 200u, listed.body);
    auto doc = listed.json().as_object();
    BOOST_TEST_REQUIRE(doc.at("data").as_array().size() == 1u);
    BOOST_TEST(related_id(doc.at("data").at(0).as_object(), "assetFile") == file);
    BOOST_TEST_REQUIRE(doc.at("included").as_array().size() == 1u);
    auto& included = doc.at("included").at(0).as_object();
    BOOST_TEST(included.at("id").as_string() == file);
    BOOST_TEST(included.at("attributes").at("sourceFileChecksums") == checksums);
    BOOST_TEST(!included.at("attributes").as_object().contains("fileName")); // sparse fields

    // A file committed without checksums has none.
    auto bare = upload_version(env, pack, make_bytes(1000, 32), std::nullopt);
    auto bare_file = get_data(env, "/v1/backgroundAssetUploadFiles/" + bare.second);
    BOOST_TEST(!bare_file.at("attributes").as_object().contains("sourceFileChecksums"));
}

BOOST_AUTO_TEST_CASE(checksums_can_be_left_out_of_responses) {
    auto o = test_options();
    o.return_source_file_checksums = false;
    sim_env env(o);
    auto pack = env.create_pack("Unchecked");
    const std::string bytes = make_bytes(70 * 1024, 33);
    auto [version, file] = upload_version(env, pack, bytes, checksums_of(bytes, o.part_size));
    BOOST_TEST(env.wait_for("/v1/backgroundAssetVersions/" + version, state_of, {"COMPLETE"}) ==
               "COMPLETE");
    // Still verified at the commit, but not returned.
    BOOST_TEST(env.sim.stats().checksums_matched == 1u);
    auto got = get_data(env, "/v1/backgroundAssetUploadFiles/" + file);
    BOOST_TEST(!got.at("attributes").as_object().contains("sourceFileChecksums"));
}
