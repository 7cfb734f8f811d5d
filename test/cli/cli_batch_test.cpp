// ascpp batch against the simulator: several packs at once, one summary, a failing entry, and a
// batch file that cannot be used.
#include "cli_fixture.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

namespace json = boost::json;
using namespace ascpp::test;

BOOST_FIXTURE_TEST_SUITE(batch, cli_fixture)

BOOST_AUTO_TEST_CASE(a_json_batch_publishes_every_pack) {
    make_file("One.aar", 2 * 1024 * 1024);
    make_file("Two.aar", 3 * 1024 * 1024 + 1);
    std::ofstream(dir / "Two.json") << R"({"assetPackID": "Two", "platforms": ["iOS"]})";
    auto file = dir / "packs.json";
    std::ofstream(file) << R"({"app": ")" << app_id << R"(", "packs": [
        {"identifier": "One", "asset": "One.aar"},
        {"identifier": "Two", "asset": "Two.aar", "manifest": "Two.json"}]})";

    auto doc = ascpp_json({"batch", file.string(), "--wait", "--timeout", "60s"});
    BOOST_TEST(doc.at("succeeded").as_int64() == 2);
    BOOST_TEST(doc.at("failed").as_int64() == 0);
    const auto& items = doc.at("items").as_array();
    BOOST_REQUIRE(items.size() == 2u);
    BOOST_TEST(items[0].at("identifier").as_string() == "One");
    BOOST_TEST(items[1].at("identifier").as_string() == "Two");
    for (const auto& item : items) {
        BOOST_TEST(item.at("succeeded").as_bool());
        BOOST_TEST(item.at("result").at("versionState").as_string() == "COMPLETE");
    }
    BOOST_TEST(items[1].at("result").at("uploads").as_array().size() == 2u);
    BOOST_TEST(sim.stats().checksums_matched == 3u);

    auto packs = ascpp_json({"assets", "list", "--app", app_id});
    BOOST_TEST(packs.at("data").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_failing_entry_is_in_the_summary_and_exits_1) {
    ascpp::sim::fault_rule rule;
    rule.route = "backgroundAssetUploadFiles_updateInstance";
    rule.kind = ascpp::sim::fault_kind::fail_processing;
    rule.file_name = "Bad.aar";
    sim.set_faults({rule});
    make_file("Good.aar", 1024 * 1024);
    make_file("Bad.aar", 1024 * 1024);
    auto file = dir / "packs.json";
    std::ofstream(file) << R"({"app": ")" << app_id << R"(", "packs": [
        {"identifier": "Good", "asset": "Good.aar"},
        {"identifier": "Bad", "asset": "Bad.aar"}]})";

    auto r = ascpp({"batch", file.string(), "--wait"});
    BOOST_TEST(r.exit_code == 1, r.err);
    BOOST_TEST(contains(r.out, "Good"));
    BOOST_TEST(contains(r.out, "FAILED"));
    BOOST_TEST(contains(r.out, "1 published, 0 unchanged, 1 failed"), r.out);
    BOOST_TEST(contains(r.err, "1 of 2 asset packs failed"), r.err);
}

BOOST_AUTO_TEST_CASE(a_batch_run_again_publishes_only_what_changed) {
    make_file("One.aar", 1024 * 1024);
    make_file("Two.aar", 1024 * 1024 + 1);
    make_file("Three.aar", 1024 * 1024 + 2);
    auto file = dir / "packs.yaml";
    std::ofstream(file) << "app: \"" << app_id << "\"\npacks:\n"
                        << "  - identifier: One\n    asset: One.aar\n"
                        << "  - identifier: Two\n    asset: Two.aar\n"
                        << "  - identifier: Three\n    asset: Three.aar\n";
    auto r = ascpp({"batch", file.string(), "--wait"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "3 published, 0 unchanged, 0 failed"), r.out);

    make_file("Two.aar", 1024 * 1024 + 7);
    const auto before = sim.stats().upload_bytes_received;
    r = ascpp({"batch", file.string(), "--wait"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "unchanged"), r.out);
    BOOST_TEST(contains(r.out, "1 published, 2 unchanged, 0 failed, 1.00 MiB sent"), r.out);
    BOOST_TEST(sim.stats().upload_bytes_received - before == 1024u * 1024u + 7u);

    auto doc = ascpp_json({"batch", file.string(), "--force"});
    BOOST_TEST(doc.at("published").as_int64() == 3);
    BOOST_TEST(doc.at("unchanged").as_int64() == 0);
    doc = ascpp_json({"batch", file.string()});
    BOOST_TEST(doc.at("published").as_int64() == 0);
    BOOST_TEST(doc.at("unchanged").as_int64() == 3);
    BOOST_TEST(doc.at("bytesSent").as_int64() == 0);
    for (const auto& item : doc.at("items").as_array())
        BOOST_TEST(item.at("result").at("unchanged").as_bool());
}

BOOST_AUTO_TEST_CASE(an_unusable_batch_file_exits_2) {
    auto file = dir / "packs.json";
    std::ofstream(file) << R"({"app": ")" << app_id << R"(", "packs": [
        {"identifier": "Missing", "asset": "Missing.aar"}]})";
    auto r = ascpp({"batch", file.string()});
    BOOST_TEST(r.exit_code == 2, r.err);
    BOOST_TEST(contains(r.err, "Missing.aar"), r.err);

    std::ofstream(file) << "{ not json";
    r = ascpp({"batch", file.string(), "--output", "json"});
    BOOST_TEST(r.exit_code == 2, r.err);
    BOOST_TEST(json::parse(r.out).at("error").at("exitCode").as_int64() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
