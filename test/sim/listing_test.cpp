// The list operations as a client pages and narrows them, with plain HTTPS requests: limit,
// cursors in links.next, meta.paging, every filter[...] and sort the spec lists, sparse
// fields[...] and include. Every body is checked against the spec by the fixture.
#include <boost/test/unit_test.hpp>

#include "sim_fixture.hpp"

#include <map>
#include <set>

using namespace ascpp::test;

namespace {

std::vector<std::string> ids_of(const http_result& r) {
    std::vector<std::string> out;
    const json::value doc_16 = r.json();
    for (auto& d : doc_16.at("data").as_array())
        out.emplace_back(d.at("id").as_string());
    return out;
}

std::vector<std::string> identifiers_of(const http_result& r) {
    std::vector<std::string> out;
    const json::value doc_23 = r.json();
    for (auto& d : doc_23.at("data").as_array())
        out.emplace_back(d.at("attributes").at("assetPackIdentifier").as_string());
    return out;
}

// Follows links.next from `first` (bounded); returns every page.
std::vector<http_result> all_pages(sim_env& env, const std::string& first) {
    std::vector<http_result> pages;
    std::string next = first;
    for (int i = 0; i < 50 && !next.empty(); ++i) {
        auto r = env.api(verb::get, next);
        BOOST_TEST_REQUIRE(r.status == 200u, next << ": " << r.body);
        auto doc = r.json().as_object();
        auto& links = doc.at("links").as_object();
        next = links.contains("next") ? std::string(links.at("next").as_string()) : "";
        pages.push_back(std::move(r));
    }
    BOOST_TEST(next.empty(), "paging ended");
    return pages;
}

std::set<std::string> keys_of(const json::value& o) {
    std::set<std::string> out;
    for (auto& kv : o.as_object())
        out.emplace(kv.key());
    return out;
}

std::string state_of(const json::object& d) {
    return std::string(d.at("attributes").at("state").as_string());
}
std::string delivery_state_of(const json::object& d) {
    return std::string(d.at("attributes").at("assetDeliveryState").at("state").as_string());
}

json::object asset_patch(const std::string& id, bool archived) {
    return json::object{
        {"data",
         {{"type", "backgroundAssets"}, {"id", id}, {"attributes", {{"archived", archived}}}}}};
}

// Uploads and commits one file of `bytes`; waits for it to be processed.
std::string publish_file(sim_env& env, const std::string& version, const std::string& name,
                         const std::string& bytes, const std::string& type) {
    auto file = env.reserve(version, name, bytes.size(), type);
    for (auto& r : env.upload_parts(file, bytes))
        BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto id = std::string(file.at("id").as_string());
    BOOST_TEST_REQUIRE(env.commit(id).status == 200u);
    BOOST_TEST_REQUIRE(env.wait_for("/v1/backgroundAssetUploadFiles/" + id, delivery_state_of,
                                    {"COMPLETE", "FAILED"}) == "COMPLETE");
    return id;
}

} // namespace

BOOST_AUTO_TEST_SUITE(listing)

BOOST_AUTO_TEST_CASE(asset_packs_page_sort_filter_and_archive) {
    sim_env env;
    const std::string app = "1000000001";
    const std::vector<std::string> created_order = {"g", "c", "a", "f", "b", "e", "d"};
    std::map<std::string, std::string> id_of;
    for (auto& name : created_order)
        id_of[name] = env.create_pack(name, app);
    env.create_pack("other-app", "1000000002");
    const std::string base = "/v1/apps/" + app + "/backgroundAssets";

    // limit=3: pages of 3, 3, 1 through links.next; meta.paging says total and limit.
    for (std::string path : {base, "/v1/apps/" + app + "/relationships/backgroundAssets"}) {
        BOOST_TEST_CONTEXT(path) {
            auto pages = all_pages(env, path + "?limit=3");
            BOOST_TEST_REQUIRE(pages.size() == 3u);
            std::vector<std::string> seen;
            for (std::size_t i = 0; i < pages.size(); ++i) {
                auto ids = ids_of(pages[i]);
                BOOST_TEST(ids.size() == (i < 2 ? 3u : 1u));
                seen.insert(seen.end(), ids.begin(), ids.end());
                auto paging = pages[i].json().at("meta").at("paging");
                BOOST_TEST(paging.at("total").to_number<int>() == 7);
                BOOST_TEST(paging.at("limit").to_number<int>() == 3);
            }
            BOOST_TEST(std::set<std::string>(seen.begin(), seen.end()).size() == 7u);
        }
    }
    // Without limit, the default page (50) holds everything and there is no next.
    auto everything = env.api(verb::get, base);
    BOOST_TEST(ids_of(everything).size() == 7u);
    BOOST_TEST(!everything.json().at("links").as_object().contains("next"));
    BOOST_TEST(everything.json().at("meta").at("paging").at("limit").to_number<int>() == 50);
    auto one = env.api(verb::get, base + "?limit=1");
    BOOST_TEST(ids_of(one).size() == 1u);

    // Every sort the spec lists, kept across pages.
    const std::vector<std::string> by_name = {"a", "b", "c", "d", "e", "f", "g"};
    auto paged_identifiers = [&](const std::string& query) {
        std::vector<std::string> out;
        for (auto& p : all_pages(env, base + query)) {
            auto part = identifiers_of(p);
            out.insert(out.end(), part.begin(), part.end());
        }
        return out;
    };
    BOOST_TEST(paged_identifiers("?sort=assetPackIdentifier&limit=2") == by_name,
               boost::test_tools::per_element());
    BOOST_TEST(paged_identifiers("?sort=-assetPackIdentifier&limit=4") ==
                   std::vector<std::string>(by_name.rbegin(), by_name.rend()),
               boost::test_tools::per_element());
    BOOST_TEST(paged_identifiers("?sort=createdDate&limit=3") == created_order,
               boost::test_tools::per_element());
    BOOST_TEST(paged_identifiers("?sort=-createdDate") ==
                   std::vector<std::string>(created_order.rbegin(), created_order.rend()),
               boost::test_tools::per_element());

    // filter[assetPackIdentifier] takes a list.
    auto ac =
        env.api(verb::get, base + "?filter[assetPackIdentifier]=a,c&sort=assetPackIdentifier");
    BOOST_TEST(identifiers_of(ac) == (std::vector<std::string>{"a", "c"}),
               boost::test_tools::per_element());
    BOOST_TEST(ac.json().at("meta").at("paging").at("total").to_number<int>() == 2);
    BOOST_TEST(ids_of(env.api(verb::get, base + "?filter[assetPackIdentifier]=zzz")).empty());

    // Archived packs: filter[archived] picks one side, without it both are listed.
    BOOST_TEST_REQUIRE(
        env.api(verb::patch, "/v1/backgroundAssets/" + id_of["b"], asset_patch(id_of["b"], true))
            .status == 200u);
    BOOST_TEST(identifiers_of(env.api(verb::get, base + "?filter[archived]=true")) ==
                   (std::vector<std::string>{"b"}),
               boost::test_tools::per_element());
    auto live = identifiers_of(
        env.api(verb::get, base + "?filter[archived]=false&sort=assetPackIdentifier"));
    BOOST_TEST(live == (std::vector<std::string>{"a", "c", "d", "e", "f", "g"}),
               boost::test_tools::per_element());
    BOOST_TEST(ids_of(env.api(verb::get, base + "?filter[archived]=true,false")).size() == 7u);
    BOOST_TEST(ids_of(env.api(verb::get, base)).size() == 7u);

    // Sparse fieldsets: only what was asked for.
    auto sparse =
        env.api(verb::get, base + "?fields[backgroundAssets]=assetPackIdentifier&limit=2");
    const json::value doc_162 = sparse.json();
    for (auto& d : doc_162.at("data").as_array()) {
        BOOST_TEST(keys_of(d.at("attributes")) == std::set<std::string>{"assetPackIdentifier"});
        BOOST_TEST(!d.as_object().contains("relationships"));
    }
    auto with_app =
        env.api(verb::get, base + "?fields[backgroundAssets]=archived,app&include=app&fields[apps]="
                                  "name,bundleId&limit=1");
    const json::value doc_169 = with_app.json();
    auto& d0 = doc_169.at("data").at(0);
    BOOST_TEST(keys_of(d0.at("attributes")) == std::set<std::string>{"archived"});
    BOOST_TEST(keys_of(d0.at("relationships")) == std::set<std::string>{"app"});
    const json::value doc_172 = with_app.json();
    auto& included = doc_172.at("included").as_array();
    BOOST_TEST_REQUIRE(included.size() == 1u);
    BOOST_TEST(included.at(0).at("type").as_string() == "apps");
    BOOST_TEST(included.at(0).at("id").as_string() == app);
    BOOST_TEST(keys_of(included.at(0).at("attributes")) ==
               (std::set<std::string>{"bundleId", "name"}));
}

BOOST_AUTO_TEST_CASE(versions_and_files_filter_by_every_listed_field) {
    sim_env env;
    const std::string app = "1000000001";
    auto pack = env.create_pack("Versions", app);
    auto other = env.create_pack("NoVersions", app);

    // v1: a manifest for tvOS and visionOS and an archive; v2 waits for uploads; v3: an archive
    // only (iOS, the default), which supersedes v1's internal beta.
    auto v1 = env.create_version(pack);
    const std::string manifest =
        R"({"assetPackID":"Versions","downloadPolicy":{"onDemand":{}},"fileSelectors":[{"directory":"A"}],"platforms":["tvOS","visionOS"]})";
    auto v1_manifest = publish_file(env, v1, "Manifest.json", manifest, "MANIFEST");
    auto v1_asset = publish_file(env, v1, "v1.aar", make_bytes(70 * 1024, 1), "ASSET");
    BOOST_TEST_REQUIRE(env.wait_for("/v1/backgroundAssetVersions/" + v1, state_of,
                                    {"COMPLETE", "FAILED"}) == "COMPLETE");
    auto v2 = env.create_version(pack);
    auto v3 = env.create_version(pack);
    publish_file(env, v3, "v3.aar", make_bytes(1000, 3), "ASSET");
    BOOST_TEST_REQUIRE(env.wait_for("/v1/backgroundAssetVersions/" + v3, state_of,
                                    {"COMPLETE", "FAILED"}) == "COMPLETE");
    auto release = [&](const std::string& version, const char* channel) {
        auto r = env.control(
            verb::post, "/sim/releases",
            json::object{{"version", version}, {"channel", channel}, {"action", "create"}});
        BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    };
    release(v1, "externalBeta");
    release(v3, "appStore");

    const std::string base = "/v1/backgroundAssets/" + pack + "/versions";
    auto ids = [&](const std::string& query) { return ids_of(env.api(verb::get, base + query)); };
    using list = std::vector<std::string>;
    BOOST_TEST(ids("?sort=version") == (list{v1, v2, v3}), boost::test_tools::per_element());
    BOOST_TEST(ids("?sort=-version") == (list{v3, v2, v1}), boost::test_tools::per_element());
    BOOST_TEST(ids("?filter[state]=COMPLETE&sort=version") == (list{v1, v3}),
               boost::test_tools::per_element());
    BOOST_TEST(ids("?filter[state]=AWAITING_UPLOAD") == (list{v2}),
               boost::test_tools::per_element());
    BOOST_TEST(ids("?filter[state]=PROCESSING,FAILED").empty());
    BOOST_TEST(ids("?filter[version]=2") == (list{v2}), boost::test_tools::per_element());
    BOOST_TEST(ids("?filter[version]=1,3&sort=-version") == (list{v3, v1}),
               boost::test_tools::per_element());
    BOOST_TEST(ids("?filter[platforms]=TV_OS") == (list{v1}), boost::test_tools::per_element());
    BOOST_TEST(ids("?filter[platforms]=VISION_OS,MAC_OS") == (list{v1}),
               boost::test_tools::per_element());
    BOOST_TEST(ids("?filter[platforms]=IOS") == (list{v3}), boost::test_tools::per_element());
    // The simulator never sets a locale (manifests carry none), so no version matches one.
    BOOST_TEST(ids("?filter[locale]=en-US").empty());
    BOOST_TEST(ids("?filter[internalBetaRelease.state]=SUPERSEDED") == (list{v1}),
               boost::test_tools::per_element());
    BOOST_TEST(ids("?filter[internalBetaRelease.state]=READY_FOR_TESTING") == (list{v3}),
               boost::test_tools::per_element());
    BOOST_TEST(ids("?filter[externalBetaRelease.state]=READY_FOR_BETA_SUBMISSION") == (list{v1}),
               boost::test_tools::per_element());
    BOOST_TEST(ids("?filter[externalBetaRelease.state]=IN_REVIEW").empty());
    BOOST_TEST(ids("?filter[appStoreRelease.state]=PREPARE_FOR_SUBMISSION") == (list{v3}),
               boost::test_tools::per_element());
    BOOST_TEST(ids("?filter[appStoreRelease.state]=ACCEPTED").empty());
    BOOST_TEST(ids("?filter[state]=COMPLETE&filter[platforms]=IOS") == (list{v3}),
               boost::test_tools::per_element());

    // The pack list filters by its versions' platforms and locale.
    const std::string packs = "/v1/apps/" + app + "/backgroundAssets";
    BOOST_TEST(ids_of(env.api(verb::get, packs + "?filter[versions.platforms]=TV_OS")) ==
                   (list{pack}),
               boost::test_tools::per_element());
    BOOST_TEST(ids_of(env.api(verb::get, packs + "?filter[versions.platforms]=MAC_OS")).empty());
    BOOST_TEST(ids_of(env.api(verb::get, packs + "?filter[versions.locale]=en-US")).empty());
    BOOST_TEST(ids_of(env.api(verb::get, packs)).size() == 2u);
    (void)other;

    // Paging of the versions and their linkages.
    for (std::string path : {base + "?limit=1&sort=version",
                             "/v1/backgroundAssets/" + pack + "/relationships/versions?limit=2"}) {
        BOOST_TEST_CONTEXT(path) {
            auto pages = all_pages(env, path);
            std::vector<std::string> seen;
            for (auto& p : pages) {
                auto part = ids_of(p);
                seen.insert(seen.end(), part.begin(), part.end());
                BOOST_TEST(p.json().at("meta").at("paging").at("total").to_number<int>() == 3);
            }
            BOOST_TEST(seen.size() == 3u);
            BOOST_TEST(std::set<std::string>(seen.begin(), seen.end()) ==
                       (std::set<std::string>{v1, v2, v3}));
        }
    }
    BOOST_TEST(all_pages(env, base + "?limit=1&sort=version").size() == 3u);

    // include and sparse fields on the versions list.
    auto included =
        env.api(verb::get, base + "?filter[version]=1&include=assetFile,manifestFile,"
                                  "backgroundAsset,internalBetaRelease,"
                                  "externalBetaRelease&fields[backgroundAssetUploadFiles]"
                                  "=fileName&fields[backgroundAssets]="
                                  "assetPackIdentifier");
    std::map<std::string, std::set<std::string>> included_ids;
    const json::value doc_277 = included.json();
    for (auto& inc : doc_277.at("included").as_array()) {
        auto type = std::string(inc.at("type").as_string());
        included_ids[type].insert(std::string(inc.at("id").as_string()));
        if (type == "backgroundAssetUploadFiles")
            BOOST_TEST(keys_of(inc.at("attributes")) == std::set<std::string>{"fileName"});
        if (type == "backgroundAssets")
            BOOST_TEST(keys_of(inc.at("attributes")) ==
                       std::set<std::string>{"assetPackIdentifier"});
    }
    BOOST_TEST(included_ids["backgroundAssetUploadFiles"] ==
               (std::set<std::string>{v1_asset, v1_manifest}));
    BOOST_TEST(included_ids["backgroundAssets"] == std::set<std::string>{pack});
    BOOST_TEST(included_ids["backgroundAssetVersionInternalBetaReleases"].size() == 1u);
    BOOST_TEST(included_ids["backgroundAssetVersionExternalBetaReleases"].size() == 1u);
    auto sparse = env.api(verb::get, base + "?fields[backgroundAssetVersions]=version,state");
    const json::value doc_292 = sparse.json();
    for (auto& d : doc_292.at("data").as_array()) {
        BOOST_TEST(keys_of(d.at("attributes")) == (std::set<std::string>{"state", "version"}));
        BOOST_TEST(!d.as_object().contains("relationships"));
    }

    // The version's upload files: paged, sparse, and their linkages.
    const std::string files = "/v1/backgroundAssetVersions/" + v1 + "/backgroundAssetUploadFiles";
    auto file_pages = all_pages(env, files + "?limit=1&fields[backgroundAssetUploadFiles]=fileName,"
                                             "assetType");
    BOOST_TEST(file_pages.size() == 2u);
    std::set<std::string> file_ids;
    for (auto& p : file_pages) {
        const json::value doc = p.json();
        for (auto& d : doc.at("data").as_array()) {
            file_ids.insert(std::string(d.at("id").as_string()));
            BOOST_TEST(keys_of(d.at("attributes")) ==
                       (std::set<std::string>{"assetType", "fileName"}));
        }
    }
    BOOST_TEST(file_ids == (std::set<std::string>{v1_asset, v1_manifest}));
    auto linkages = all_pages(env, "/v1/backgroundAssetVersions/" + v1 +
                                       "/relationships/backgroundAssetUploadFiles?limit=1");
    BOOST_TEST(linkages.size() == 2u);
    BOOST_TEST(ids_of(env.api(verb::get,
                              "/v1/backgroundAssetVersions/" + v2 + "/backgroundAssetUploadFiles"))
                   .empty());
}

BOOST_AUTO_TEST_SUITE_END()
