// ascpp upload|publish|wait against the simulator: progress, both output modes, a processing
// failure, timeouts, and a publish interrupted with SIGINT or killed with SIGKILL, then resumed
// from its journal.
#include "cli_fixture.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace ascpp::test;

BOOST_FIXTURE_TEST_SUITE(transfer, cli_fixture)

BOOST_AUTO_TEST_CASE(publish_wait_until_internal_beta_in_json) {
    auto pack = make_file("Tutorial.aar", 5 * 1024 * 1024 + 3);
    auto manifest = dir / "Manifest.json";
    std::ofstream(manifest) << R"({"assetPackID": "Tutorial", "platforms": ["iOS"]})";
    auto doc = ascpp_json({"publish", "--app", app_id, "--identifier", "Tutorial", "--archive",
                           pack.string(), "--manifest", manifest.string(), "--until",
                           "internal-beta", "--timeout", "60s"});
    BOOST_TEST(str(doc, {"assetPack", "attributes", "assetPackIdentifier"}) == "Tutorial");
    BOOST_TEST(doc.at("assetPackCreated").as_bool());
    BOOST_TEST(doc.at("versionCreated").as_bool());
    BOOST_TEST(str(doc, {"versionState"}) == "COMPLETE");
    BOOST_TEST(!doc.at("processingFailed").as_bool());
    BOOST_REQUIRE(doc.at("uploads").as_array().size() == 2u);
    BOOST_TEST(str(doc.at("uploads").at(0), {"data", "attributes", "assetType"}) == "MANIFEST");
    BOOST_TEST(str(doc.at("uploads").at(1), {"data", "attributes", "assetType"}) == "ASSET");
    BOOST_TEST(doc.at("uploads").at(1).at("upload").at("fileSize").as_int64() ==
               5 * 1024 * 1024 + 3);
    BOOST_TEST(str(doc, {"release", "channel"}) == "internal-beta");
    BOOST_TEST(str(doc, {"release", "state"}) == "READY_FOR_TESTING");
    BOOST_TEST(sim.stats().checksums_matched == 2u);

    // The listing commands see what the publish made.
    auto asset = str(doc, {"assetPack", "id"});
    auto version = str(doc, {"version", "id"});
    auto versions = ascpp_json({"versions", "list", "--asset", asset});
    BOOST_REQUIRE(versions.at("data").as_array().size() == 1u);
    BOOST_TEST(str(versions.at("data").at(0), {"attributes", "state"}) == "COMPLETE");
    auto releases = ascpp_json({"releases", "get", "--version", version});
    BOOST_TEST(str(releases, {"internalBetaRelease", "id"}) == str(doc, {"release", "id"}));

    // A second publish of the same identifier makes version 2 of the same pack.
    doc = ascpp_json({"publish", "--app", app_id, "--identifier", "Tutorial", "--archive",
                      pack.string(), "--wait"});
    BOOST_TEST(!doc.at("assetPackCreated").as_bool());
    BOOST_TEST(str(doc, {"assetPack", "id"}) == asset);
    BOOST_TEST(str(doc, {"version", "attributes", "version"}) == "2");
    BOOST_TEST(doc.at("release").is_null());
    // Version 1 has a manifest and this publish has none: a change.
    BOOST_TEST(!doc.at("unchanged").as_bool());
    BOOST_TEST(contains(str(doc, {"comparison"}), "has a MANIFEST"), str(doc, {"comparison"}));

    // The same files again: nothing is sent, version 2 is named.
    doc = ascpp_json({"publish", "--app", app_id, "--identifier", "Tutorial", "--archive",
                      pack.string(), "--wait"});
    BOOST_TEST(doc.at("unchanged").as_bool());
    BOOST_TEST(!doc.at("versionCreated").as_bool());
    BOOST_TEST(str(doc, {"version", "attributes", "version"}) == "2");
    BOOST_TEST(str(doc, {"versionState"}) == "COMPLETE");
    BOOST_TEST(doc.at("uploads").as_array().empty());
    BOOST_TEST(doc.at("bytesSent").as_int64() == 0);

    // --force publishes them anyway.
    doc = ascpp_json({"publish", "--app", app_id, "--identifier", "Tutorial", "--archive",
                      pack.string(), "--force"});
    BOOST_TEST(!doc.at("unchanged").as_bool());
    BOOST_TEST(str(doc, {"version", "attributes", "version"}) == "3");
}

BOOST_AUTO_TEST_CASE(publish_as_a_table_with_progress_lines) {
    auto pack = make_file("Levels.aar", 4 * 1024 * 1024);
    auto r = ascpp({"publish", "--app", app_id, "--identifier", "Levels", "--archive",
                    pack.string(), "--wait"});
    BOOST_TEST(r.exit_code == 0, r.err);
    // stderr is a file here: plain progress lines, no terminal control sequences.
    BOOST_TEST(contains(r.err, "Levels.aar: uploading 4.00 MiB in 4 parts"), r.err);
    BOOST_TEST(contains(r.err, "Levels.aar: uploaded 4.00 MiB"), r.err);
    BOOST_TEST(contains(r.err, "Levels version: COMPLETE"), r.err);
    BOOST_TEST(!contains(r.err, "\x1b["));
    BOOST_TEST(contains(r.out, "asset pack"));
    BOOST_TEST(contains(r.out, "Levels (created)"));
    BOOST_TEST(contains(r.out, "COMPLETE"));
    BOOST_TEST(contains(r.out, "ASSET Levels.aar"));

    // Without --wait the version is left processing (or already done), and the command
    // returns after the upload.
    // The same archive again: unchanged, said in the table and on stderr; --verbose says why.
    r = ascpp({"publish", "--app", app_id, "--identifier", "Levels", "--archive", pack.string(),
               "--verbose"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "unchanged: nothing sent"), r.out);
    BOOST_TEST(contains(r.err, "Levels is unchanged"), r.err);
    BOOST_TEST(contains(r.err, "the archive matches the SHA-256 of version 1"), r.err);
    BOOST_TEST(!contains(r.err, "uploading"), r.err);

    // Changed: published without --wait, the command returns after the upload.
    pack = make_file("Levels.aar", 4 * 1024 * 1024 + 1);
    r = ascpp({"publish", "--app", app_id, "--identifier", "Levels", "--archive", pack.string(),
               "--verbose"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.err, "ASSET differs"), r.err);
    BOOST_TEST(contains(r.out, "(created)"), r.out);
    BOOST_TEST(!contains(r.err, "version: COMPLETE"), r.err);
}

BOOST_AUTO_TEST_CASE(upload_and_wait_commands) {
    auto asset =
        str(ascpp_json({"assets", "create", "--app", app_id, "--identifier", "W"}), {"data", "id"});
    auto version = str(ascpp_json({"versions", "create", "--asset", asset}), {"data", "id"});
    auto pack = make_file("W.aar", 2 * 1024 * 1024 + 5);

    // upload, table mode: the file's details and a summary line
    auto r = ascpp({"upload", "--version", version, "--type", "asset", pack.string()});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "W.aar"));
    BOOST_TEST(contains(r.out, "Uploaded 2.00 MiB"));
    BOOST_TEST(contains(r.out, "3 parts"));

    auto files = ascpp_json({"files", "list", "--version", version});
    BOOST_REQUIRE(files.at("data").as_array().size() == 1u);
    auto file_id = str(files.at("data").at(0), {"id"});

    // wait file and wait version, table and JSON
    r = ascpp({"wait", "file", file_id, "--timeout", "60s"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "COMPLETE"));
    BOOST_TEST(contains(r.err, "upload file " + file_id + ": COMPLETE"), r.err);
    auto f = ascpp_json({"wait", "file", file_id, "--state", "COMPLETE"});
    BOOST_TEST(str(f, {"data", "attributes", "assetDeliveryState", "state"}) == "COMPLETE");
    auto v = ascpp_json({"wait", "version", version, "--timeout", "60s"});
    BOOST_TEST(str(v, {"data", "attributes", "state"}) == "COMPLETE");
    r = ascpp({"wait", "version", version, "--state", "COMPLETE,FAILED"});
    BOOST_TEST(r.exit_code == 0, r.err);

    // wait release: internal beta by default; external beta after the review flow starts
    auto releases = ascpp_json({"releases", "get", "--version", version});
    auto internal_id = str(releases, {"internalBetaRelease", "id"});
    auto w = ascpp_json({"wait", "release", internal_id, "--timeout", "60s"});
    BOOST_TEST(str(w, {"data", "attributes", "state"}) == "READY_FOR_TESTING");
    sim.release_action(version, ascpp::sim::release_channel::external_beta, "create");
    releases = ascpp_json({"releases", "get", "--version", version});
    auto external_id = str(releases, {"externalBetaRelease", "id"});
    r = ascpp({"wait", "release", external_id, "--channel", "external-beta", "--state",
               "READY_FOR_BETA_SUBMISSION", "--timeout", "60s"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "READY_FOR_BETA_SUBMISSION"));
    // A state of another channel is a usage error.
    r = ascpp({"wait", "release", external_id, "--channel", "external-beta", "--state",
               "READY_FOR_DISTRIBUTION"});
    BOOST_TEST(r.exit_code == 2, r.err);
}

BOOST_AUTO_TEST_CASE(a_wait_that_times_out_exits_3) {
    auto asset =
        str(ascpp_json({"assets", "create", "--app", app_id, "--identifier", "T"}), {"data", "id"});
    auto version = str(ascpp_json({"versions", "create", "--asset", asset}), {"data", "id"});
    // Nothing is uploaded, so the version stays AWAITING_UPLOAD.
    auto r = ascpp({"wait", "version", version, "--timeout", "1s"});
    BOOST_TEST(r.exit_code == 3, r.err);
    BOOST_TEST(contains(r.err, "timed out after 1s"), r.err);
    BOOST_TEST(contains(r.err, "AWAITING_UPLOAD"), r.err);
    r = ascpp({"wait", "version", version, "--timeout", "1s", "--output", "json"});
    BOOST_TEST(r.exit_code == 3);
    auto doc = json::parse(r.out);
    BOOST_TEST(doc.at("error").at("exitCode").as_int64() == 3);
    BOOST_TEST(str(doc, {"error", "kind"}) == "timeout");
}

BOOST_AUTO_TEST_CASE(a_publish_whose_processing_fails_exits_1_with_the_details) {
    ascpp::sim::fault_rule rule;
    rule.route = "backgroundAssetUploadFiles_updateInstance";
    rule.kind = ascpp::sim::fault_kind::fail_processing;
    sim.set_faults({rule});
    auto pack = make_file("Bad.aar", 1024 * 1024);

    auto r = ascpp({"publish", "--app", app_id, "--identifier", "Bad", "--archive", pack.string(),
                    "--wait", "--output", "json"});
    BOOST_TEST(r.exit_code == 1, r.err);
    BOOST_TEST(contains(r.err, "failed processing"), r.err);
    // One document on stdout: the publish result, which says why.
    auto doc = json::parse(r.out);
    BOOST_TEST(doc.at("processingFailed").as_bool());
    BOOST_TEST(str(doc, {"versionState"}) == "FAILED");
    BOOST_TEST(!doc.at("stateDetails").is_null());
    auto version = str(doc, {"version", "id"});

    r = ascpp({"wait", "version", version});
    BOOST_TEST(r.exit_code == 1, r.err);
    BOOST_TEST(contains(r.err, "FAILED"));
}

// Starts a slow publish with a journal, stops it with `sig` part-way, and runs it again: the
// second run continues the same pack and version and sends only the parts the first did not
// get acknowledged.
void interrupt_then_resume(cli_fixture& f, int sig, const std::string& identifier) {
    // Slow parts, two at a time, so the signal lands in the middle of the upload.
    ascpp::sim::fault_rule slow;
    slow.route = "upload_part";
    slow.kind = ascpp::sim::fault_kind::latency;
    slow.delay = std::chrono::milliseconds(300);
    f.sim.set_faults({slow});
    constexpr std::uint64_t size = 12 * 1024 * 1024; // 12 parts of 1 MiB
    constexpr int concurrency = 2;
    auto pack = f.make_file(identifier + ".aar", size);
    auto journal = f.dir / (identifier + ".journal");
    const auto bytes_at_start = f.sim.stats().upload_bytes_received;

    auto p =
        f.start({"publish", "--app", app_id, "--identifier", identifier, "--archive", pack.string(),
                 "--journal", journal.string(), "--concurrency", std::to_string(concurrency)});
    // Bounded: at most 30 s until the journal records an acknowledged part.
    auto journal_has_a_part = [&] {
        std::ifstream in(journal);
        std::stringstream text;
        text << in.rdbuf();
        return text.str().find("\"parts\":[{") != std::string::npos;
    };
    for (int i = 0; i < 3000 && !journal_has_a_part() && !p->exited(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_REQUIRE_MESSAGE(!p->exited(), "the publish ended before it could be interrupted");
    BOOST_REQUIRE(journal_has_a_part());
    p->signal(sig);
    auto r = p->wait(std::chrono::seconds(30));
    if (sig == SIGINT) {
        BOOST_TEST(r.exit_code == 130, r.err);
        BOOST_TEST(contains(r.err, "interrupted"), r.err);
    } else {
        BOOST_TEST(r.exit_code != 0, r.err);
    }
    BOOST_TEST(fs::exists(journal));
    BOOST_TEST(f.sim.stats().parts_received < 12u);

    // Run again with the same journal: the same pack and version, only the missing parts.
    f.sim.clear_faults();
    auto doc = f.ascpp_json({"publish", "--app", app_id, "--identifier", identifier, "--archive",
                             pack.string(), "--journal", journal.string(), "--wait"});
    BOOST_TEST(!doc.at("assetPackCreated").as_bool());
    BOOST_TEST(!doc.at("versionCreated").as_bool());
    BOOST_TEST(str(doc, {"versionState"}) == "COMPLETE");
    BOOST_TEST(doc.at("bytesResumed").as_int64() > 0);
    BOOST_REQUIRE(doc.at("uploads").as_array().size() == 1u);
    const auto& up = doc.at("uploads").at(0).at("upload");
    BOOST_TEST(up.at("partsResumed").as_int64() > 0);
    BOOST_TEST(up.at("partsResumed").as_int64() + up.at("partsSent").as_int64() == 12);
    BOOST_TEST(f.sim.stats().checksums_matched == 1u);
    // Over both runs the upload host got the file once, plus what the first run had sent but
    // not yet recorded when it stopped: per slot of concurrency, the part in flight and one
    // acknowledged part whose journal write had not reached the disk (two parts started
    // together are acknowledged together, and a SIGKILL may land between their two saves).
    const auto received = f.sim.stats().upload_bytes_received - bytes_at_start;
    BOOST_TEST(received >= size);
    BOOST_TEST(received <= size + 2 * concurrency * 1024 * 1024);
    BOOST_TEST(!fs::exists(journal)); // removed once the publish succeeded
    auto versions = f.ascpp_json({"versions", "list", "--asset", str(doc, {"assetPack", "id"})});
    BOOST_TEST(versions.at("data").as_array().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_publish_interrupted_with_sigint_resumes_from_its_journal) {
    interrupt_then_resume(*this, SIGINT, "Big");
}

BOOST_AUTO_TEST_CASE(a_publish_killed_with_sigkill_resumes_from_its_journal) {
    interrupt_then_resume(*this, SIGKILL, "Killed");
}

BOOST_AUTO_TEST_SUITE_END()
