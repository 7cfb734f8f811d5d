// Release state machines driven through the /sim/ control API, read back with plain HTTPS GETs:
// internal beta (READY_FOR_TESTING, then SUPERSEDED by a newer version), external beta and App
// Store review (approve, reject, distribute), the pack's usedBytes and its appStoreVersion,
// internalBetaVersion and externalBetaVersion relationships, and the refusals of the control API.
#include <boost/test/unit_test.hpp>

#include "sim_fixture.hpp"

#include <set>
#include <stdexcept>

using namespace ascpp::test;

namespace {

const std::string internal_type = "backgroundAssetVersionInternalBetaReleases";
const std::string external_type = "backgroundAssetVersionExternalBetaReleases";
const std::string store_type = "backgroundAssetVersionAppStoreReleases";

std::string state_of(const json::object& d) {
    return std::string(d.at("attributes").at("state").as_string());
}
std::string related_id(const json::object& data, std::string_view rel) {
    auto* rels = data.if_contains("relationships");
    if (!rels)
        return {};
    auto* r = rels->as_object().if_contains(rel);
    if (!r)
        return {};
    auto* d = r->as_object().if_contains("data");
    return d && d->is_object() ? std::string(d->at("id").as_string()) : std::string();
}

struct releases {
    sim_env& env;
    std::string pack;

    json::object get(const std::string& path) {
        auto r = env.api(verb::get, path);
        BOOST_TEST_REQUIRE(r.status == 200u, path << ": " << r.body);
        return r.json().at("data").as_object();
    }
    json::object asset() { return get("/v1/backgroundAssets/" + pack); }
    std::string release_state(const std::string& type, const std::string& id) {
        return state_of(get("/v1/" + type + "/" + id));
    }
    // A COMPLETE version with one asset file of `size` bytes.
    std::string complete_version(std::size_t size) {
        auto version = env.create_version(pack);
        auto bytes = make_bytes(size, static_cast<std::uint32_t>(size));
        auto file = env.reserve(version, "a.aar", size);
        for (auto& r : env.upload_parts(file, bytes))
            BOOST_TEST_REQUIRE(r.status == 200u);
        BOOST_TEST_REQUIRE(env.commit(std::string(file.at("id").as_string())).status == 200u);
        BOOST_TEST_REQUIRE(env.wait_for("/v1/backgroundAssetVersions/" + version, state_of,
                                        {"COMPLETE", "FAILED"}) == "COMPLETE");
        return version;
    }
    http_result action(const std::string& version, const char* channel, const char* action) {
        return env.control(
            verb::post, "/sim/releases",
            json::object{{"version", version}, {"channel", channel}, {"action", action}});
    }
    // Runs `actions` in order, checking the state each reaches; returns the release id.
    std::string drive(const std::string& version, const char* channel,
                      std::vector<std::pair<const char*, const char*>> actions) {
        std::string id;
        const auto& type = std::string(channel) == "appStore" ? store_type : external_type;
        for (auto [act, expected] : actions) {
            auto r = action(version, channel, act);
            BOOST_TEST_REQUIRE(r.status == 200u, act << ": " << r.body);
            id = std::string(r.json().at("id").as_string());
            BOOST_TEST(r.json().at("type").as_string() == type);
            BOOST_TEST(r.json().at("state").as_string() == expected);
            BOOST_TEST(release_state(type, id) == expected);
        }
        return id;
    }
    // With processing paused, the action leaves the release in `processing`; resumed, it ends
    // in `ready`.
    void through_processing(const std::string& version, const char* channel, const char* act,
                            const std::string& id, const char* processing, const char* ready) {
        const auto& type = std::string(channel) == "appStore" ? store_type : external_type;
        env.sim.pause_processing(true);
        auto r = action(version, channel, act);
        BOOST_TEST_REQUIRE(r.status == 200u, r.body);
        BOOST_TEST(release_state(type, id) == processing);
        env.sim.pause_processing(false);
        BOOST_TEST(env.wait_for("/v1/" + type + "/" + id, state_of, {ready}) == ready);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(release_state_machines)

BOOST_AUTO_TEST_CASE(internal_external_and_app_store_releases) {
    sim_env env;
    releases rel{env, env.create_pack("Releases")};

    // Nothing live yet: no relationships, no bytes.
    auto fresh = rel.asset();
    BOOST_TEST(fresh.at("attributes").at("usedBytes").as_int64() == 0);
    BOOST_TEST(related_id(fresh, "internalBetaVersion").empty());

    // v1 COMPLETE: internal beta READY_FOR_TESTING at once; the pack points at it.
    auto v1 = rel.complete_version(3000);
    auto internal1 =
        related_id(rel.get("/v1/backgroundAssetVersions/" + v1), "internalBetaRelease");
    BOOST_TEST_REQUIRE(!internal1.empty());
    BOOST_TEST(rel.release_state(internal_type, internal1) == "READY_FOR_TESTING");
    auto internal_doc = env.api(verb::get, "/v1/" + internal_type + "/" + internal1 +
                                               "?include=backgroundAssetVersion");
    BOOST_TEST(related_id(internal_doc.json().at("data").as_object(), "backgroundAssetVersion") ==
               v1);
    BOOST_TEST(internal_doc.json().at("included").at(0).at("id").as_string() == v1);
    auto a1 = rel.asset();
    BOOST_TEST(related_id(a1, "internalBetaVersion") == v1);
    BOOST_TEST(related_id(a1, "externalBetaVersion").empty());
    BOOST_TEST(related_id(a1, "appStoreVersion").empty());
    BOOST_TEST(a1.at("attributes").at("usedBytes").as_int64() == 3000);

    // External beta for v1: rejected once, then approved; PROCESSING_FOR_TESTING on the way.
    auto external1 = rel.drive(v1, "externalBeta",
                               {{"create", "READY_FOR_BETA_SUBMISSION"},
                                {"submit", "WAITING_FOR_REVIEW"},
                                {"start_review", "IN_REVIEW"},
                                {"reject", "REJECTED"},
                                {"submit", "WAITING_FOR_REVIEW"},
                                {"start_review", "IN_REVIEW"}});
    BOOST_TEST(related_id(rel.asset(), "externalBetaVersion").empty()); // not yet
    rel.through_processing(v1, "externalBeta", "approve", external1, "PROCESSING_FOR_TESTING",
                           "READY_FOR_TESTING");
    BOOST_TEST(related_id(rel.asset(), "externalBetaVersion") == v1);
    BOOST_TEST(related_id(rel.get("/v1/backgroundAssetVersions/" + v1), "externalBetaRelease") ==
               external1);

    // App Store for v1: rejected once, accepted, then distributed.
    auto store1 = rel.drive(v1, "appStore",
                            {{"create", "PREPARE_FOR_SUBMISSION"},
                             {"ready", "READY_FOR_REVIEW"},
                             {"submit", "WAITING_FOR_REVIEW"},
                             {"start_review", "IN_REVIEW"},
                             {"reject", "REJECTED"},
                             {"submit", "WAITING_FOR_REVIEW"},
                             {"start_review", "IN_REVIEW"},
                             {"approve", "ACCEPTED"}});
    BOOST_TEST(related_id(rel.asset(), "appStoreVersion").empty()); // accepted, not distributed
    rel.through_processing(v1, "appStore", "distribute", store1, "PROCESSING_FOR_DISTRIBUTION",
                           "READY_FOR_DISTRIBUTION");
    BOOST_TEST(related_id(rel.asset(), "appStoreVersion") == v1);

    // v2, smaller: its internal beta supersedes v1's; v1 stays live externally and on the App
    // Store, so usedBytes still counts the larger v1.
    auto v2 = rel.complete_version(1000);
    BOOST_TEST(rel.release_state(internal_type, internal1) == "SUPERSEDED");
    auto internal2 =
        related_id(rel.get("/v1/backgroundAssetVersions/" + v2), "internalBetaRelease");
    BOOST_TEST(rel.release_state(internal_type, internal2) == "READY_FOR_TESTING");
    auto a2 = rel.asset();
    BOOST_TEST(related_id(a2, "internalBetaVersion") == v2);
    BOOST_TEST(related_id(a2, "externalBetaVersion") == v1);
    BOOST_TEST(related_id(a2, "appStoreVersion") == v1);
    BOOST_TEST(a2.at("attributes").at("usedBytes").as_int64() == 3000);

    // v2 through external beta and the App Store supersedes v1 there too; usedBytes follows.
    auto external2 = rel.drive(v2, "externalBeta",
                               {{"create", "READY_FOR_BETA_SUBMISSION"},
                                {"submit", "WAITING_FOR_REVIEW"},
                                {"start_review", "IN_REVIEW"}});
    rel.through_processing(v2, "externalBeta", "approve", external2, "PROCESSING_FOR_TESTING",
                           "READY_FOR_TESTING");
    BOOST_TEST(rel.release_state(external_type, external1) == "SUPERSEDED");
    auto store2 = rel.drive(v2, "appStore",
                            {{"create", "PREPARE_FOR_SUBMISSION"},
                             {"ready", "READY_FOR_REVIEW"},
                             {"submit", "WAITING_FOR_REVIEW"},
                             {"start_review", "IN_REVIEW"},
                             {"approve", "ACCEPTED"}});
    rel.through_processing(v2, "appStore", "distribute", store2, "PROCESSING_FOR_DISTRIBUTION",
                           "READY_FOR_DISTRIBUTION");
    BOOST_TEST(rel.release_state(store_type, store1) == "SUPERSEDED");
    auto a3 = rel.asset();
    BOOST_TEST(related_id(a3, "externalBetaVersion") == v2);
    BOOST_TEST(related_id(a3, "appStoreVersion") == v2);
    BOOST_TEST(a3.at("attributes").at("usedBytes").as_int64() == 1000);

    // The version document includes all three of its releases.
    auto full = env.api(verb::get, "/v1/backgroundAssetVersions/" + v2 +
                                       "?include=internalBetaRelease,externalBetaRelease,"
                                       "appStoreRelease");
    std::set<std::string> included;
    const json::value doc_192 = full.json();
    for (auto& inc : doc_192.at("included").as_array())
        included.insert(std::string(inc.at("id").as_string()));
    BOOST_TEST(included == (std::set<std::string>{internal2, external2, store2}));
    // The pack includes the versions it points at.
    auto pack_full = env.api(verb::get, "/v1/backgroundAssets/" + rel.pack +
                                            "?include=appStoreVersion,internalBetaVersion,"
                                            "externalBetaVersion,app");
    std::set<std::string> pack_included;
    const json::value doc_200 = pack_full.json();
    for (auto& inc : doc_200.at("included").as_array())
        pack_included.insert(std::string(inc.at("type").as_string()) + "/" +
                             std::string(inc.at("id").as_string()));
    BOOST_TEST(pack_included ==
               (std::set<std::string>{"backgroundAssetVersions/" + v2, "apps/1000000001"}));
}

BOOST_AUTO_TEST_CASE(control_api_refuses_what_the_state_does_not_allow) {
    sim_env env;
    releases rel{env, env.create_pack("Refusals")};
    auto waiting = env.create_version(rel.pack); // AWAITING_UPLOAD
    auto v = rel.complete_version(500);

    auto code_of = [](const http_result& r) {
        return std::string(r.json().at("errors").at(0).at("code").as_string());
    };
    auto r = rel.action("nope", "externalBeta", "create");
    BOOST_TEST(r.status == 404u);
    r = rel.action(v, "internalBeta", "create");
    BOOST_TEST(r.status == 400u);
    r = rel.action(v, "externalBeta", "dance");
    BOOST_TEST(r.status == 400u);
    r = rel.action(waiting, "appStore", "create");
    BOOST_TEST(r.status == 409u);
    BOOST_TEST(code_of(r).starts_with("ENTITY_ERROR"));
    r = rel.action(v, "externalBeta", "submit"); // no release yet
    BOOST_TEST(r.status == 409u);
    rel.drive(v, "externalBeta", {{"create", "READY_FOR_BETA_SUBMISSION"}});
    BOOST_TEST(rel.action(v, "externalBeta", "create").status == 409u); // already has one
    BOOST_TEST(rel.action(v, "externalBeta", "approve").status == 409u);
    BOOST_TEST(rel.action(v, "externalBeta", "start_review").status == 409u);
    rel.drive(v, "appStore", {{"create", "PREPARE_FOR_SUBMISSION"}});
    BOOST_TEST(rel.action(v, "appStore", "distribute").status == 409u);
    BOOST_TEST(rel.action(v, "appStore", "approve").status == 409u);

    // The same through the C++ interface.
    using ascpp::sim::release_channel;
    BOOST_CHECK_THROW(env.sim.release_action("nope", release_channel::app_store, "create"),
                      std::invalid_argument);
    BOOST_CHECK_THROW(env.sim.release_action(v, release_channel::app_store, "submit"),
                      std::logic_error);
    env.sim.release_action(v, release_channel::app_store, "ready");
    BOOST_TEST(rel.release_state(store_type, related_id(rel.get("/v1/backgroundAssetVersions/" + v),
                                                        "appStoreRelease")) == "READY_FOR_REVIEW");

    // An archived pack takes no release actions.
    auto archive = env.api(verb::patch, "/v1/backgroundAssets/" + rel.pack,
                           json::object{{"data",
                                         {{"type", "backgroundAssets"},
                                          {"id", rel.pack},
                                          {"attributes", {{"archived", true}}}}}});
    BOOST_TEST_REQUIRE(archive.status == 200u);
    BOOST_TEST(rel.action(v, "appStore", "submit").status == 409u);
}

BOOST_AUTO_TEST_SUITE_END()
