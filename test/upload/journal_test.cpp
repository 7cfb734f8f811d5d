// The resume journal: round trips, atomic replacement, refusal of foreign or damaged files.
#include <ascpp/upload/journal.hpp>
#include <ascpp/upload/upload_error.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

namespace up = ascpp::upload;

namespace {

std::filesystem::path fresh_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("ascpp-journal-test-" + std::to_string(::getpid())) / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

up::journal_entry sample_entry() {
    up::journal_entry e;
    e.upload_file_id = "uf-1";
    e.background_asset_version_id = "v-1";
    e.asset_type = "ASSET";
    e.file_name = "Pack.aar";
    e.path = "/data/Pack.aar";
    e.size = 12'000'000;
    e.mtime_ns = 1'700'000'000'123'456'789;
    return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(journal)

BOOST_AUTO_TEST_CASE(round_trip_through_the_file) {
    auto dir = fresh_dir("round");
    auto path = dir / "publish.journal";
    {
        up::journal j(path);
        BOOST_TEST(!j.entry("ASSET"));
        BOOST_TEST(!std::filesystem::exists(path)); // nothing written before a change
        j.set_entry("ASSET", sample_entry());
        j.record_part("ASSET", {2, 5'242'880, 5'242'880, up::md5_of(std::string_view("two"))});
        j.record_part("ASSET", {1, 0, 5'242'880, up::md5_of(std::string_view("one"))});
        j.set_value("version_id", "v-1");
        j.save();
    }
    up::journal j(path);
    auto e = j.entry("ASSET");
    BOOST_REQUIRE(e);
    BOOST_TEST(e->upload_file_id == "uf-1");
    BOOST_TEST(e->background_asset_version_id == "v-1");
    BOOST_TEST(e->mtime_ns == 1'700'000'000'123'456'789);
    BOOST_REQUIRE(e->parts.size() == 2u);
    BOOST_TEST(e->parts[0].part_number == 2);
    BOOST_TEST((e->parts[1].md5 == up::md5_of(std::string_view("one"))));
    BOOST_TEST(!e->committed);
    BOOST_TEST(*j.value("version_id") == "v-1");
    // No temporary file is left next to it.
    std::size_t files = 0;
    for ([[maybe_unused]] auto& f : std::filesystem::directory_iterator(dir))
        ++files;
    BOOST_TEST(files == 1u);
}

BOOST_AUTO_TEST_CASE(recording_a_part_again_replaces_it_and_commit_sticks) {
    auto path = fresh_dir("replace") / "j.json";
    up::journal j(path);
    j.set_entry("ASSET", sample_entry());
    j.record_part("ASSET", {1, 0, 10, up::md5_of(std::string_view("a"))});
    j.record_part("ASSET", {1, 0, 10, up::md5_of(std::string_view("b"))});
    j.mark_committed("ASSET");
    j.save();
    up::journal again(path);
    auto e = again.entry("ASSET");
    BOOST_REQUIRE(e->parts.size() == 1u);
    BOOST_TEST((e->parts[0].md5 == up::md5_of(std::string_view("b"))));
    BOOST_TEST(e->committed);
    BOOST_CHECK_THROW(j.record_part("MANIFEST", {1, 0, 1, {}}), std::logic_error);
}

BOOST_AUTO_TEST_CASE(refuses_damaged_and_foreign_files) {
    auto dir = fresh_dir("bad");
    auto check = [&](const std::string& content) {
        auto p = dir / "bad.json";
        std::ofstream(p) << content;
        try {
            up::journal j(p);
            BOOST_FAIL("accepted: " << content);
        } catch (const up::upload_error& e) {
            BOOST_TEST((e.code() == up::upload_errc::journal_error));
            BOOST_TEST(std::string(e.what()).find("bad.json") != std::string::npos);
        }
    };
    check("{\"format\":\"ascpp-upload-journal\",\"version\":1,\"files\":{");
    check("{\"format\":\"something-else\",\"version\":1,\"files\":{}}");
    check("{\"format\":\"ascpp-upload-journal\",\"version\":99,\"files\":{}}");
    check("[1,2,3]");
    check(
        R"({"format":"ascpp-upload-journal","version":1,"files":{"ASSET":{"uploadFileId":"x"}}})");
}

BOOST_AUTO_TEST_CASE(remove_deletes_the_file) {
    auto path = fresh_dir("remove") / "j.json";
    up::journal j(path);
    j.set_value("k", "v");
    j.save();
    BOOST_TEST(std::filesystem::exists(path));
    j.remove();
    BOOST_TEST(!std::filesystem::exists(path));
}

BOOST_AUTO_TEST_CASE(identity_of_a_file) {
    auto dir = fresh_dir("identity");
    auto p = dir / "f.bin";
    std::ofstream(p) << "12345";
    auto id = up::journal::identify(p);
    BOOST_TEST(id.size == 5u);
    BOOST_TEST(id.path == std::filesystem::absolute(p).lexically_normal().string());
    BOOST_TEST(id.mtime_ns > 0);
    BOOST_CHECK_THROW(up::journal::identify(dir / "missing"), up::upload_error);
    BOOST_CHECK_THROW(up::journal::identify(dir), up::upload_error);
}

BOOST_AUTO_TEST_SUITE_END()
