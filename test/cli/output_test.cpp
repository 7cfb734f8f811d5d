#include "output.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <sstream>

namespace json = boost::json;
using namespace ascpp::cli;

namespace {

json::array sample_assets() {
    return json::parse(R"([
      {"type":"backgroundAssets","id":"a1","attributes":{"assetPackIdentifier":"Tutorial",
        "archived":false,"usedBytes":314572800,"createdDate":"2025-06-01T10:00:00Z"},
       "relationships":{"app":{"data":{"type":"apps","id":"1234567890"}},
                        "internalBetaVersion":{"data":{"type":"backgroundAssetVersions","id":"v9"}}},
       "links":{"self":"https://x/v1/backgroundAssets/a1"}},
      {"type":"backgroundAssets","id":"a2-longer-id","attributes":{"assetPackIdentifier":"Levels",
        "archived":true}}
    ])")
        .as_array();
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(output)

BOOST_AUTO_TEST_CASE(bytes_in_binary_units) {
    BOOST_TEST(format_bytes(0) == "0 B");
    BOOST_TEST(format_bytes(1023) == "1023 B");
    BOOST_TEST(format_bytes(1024) == "1.00 KiB");
    BOOST_TEST(format_bytes(1536) == "1.50 KiB");
    BOOST_TEST(format_bytes(300ull << 20) == "300 MiB");
    BOOST_TEST(format_bytes(15ull << 19) == "7.50 MiB");
    BOOST_TEST(format_bytes((1ull << 30) - 1) == "1024 MiB");
    BOOST_TEST(format_bytes(5ull << 30) == "5.00 GiB");
    BOOST_TEST(format_bytes(~0ull) == "16.0 EiB");
}

BOOST_AUTO_TEST_CASE(tables_align_columns) {
    table t({"ID", "NAME"});
    t.add_row({"1", "short"});
    t.add_row({"1234", "x"});
    t.add_row({"é", "unicode"});
    std::ostringstream out;
    t.print(out);
    auto l = lines_of(out.str());
    BOOST_REQUIRE(l.size() == 4u);
    BOOST_TEST(l[0] == "ID    NAME");
    BOOST_TEST(l[1] == "1     short");
    BOOST_TEST(l[2] == "1234  x");
    BOOST_TEST(l[3] == "é     unicode");
}

BOOST_AUTO_TEST_CASE(asset_table_has_the_useful_columns) {
    std::ostringstream out;
    resource_table(sample_assets()).print(out);
    auto l = lines_of(out.str());
    BOOST_REQUIRE(l.size() == 3u);
    BOOST_TEST(l[0].starts_with("ID            IDENTIFIER  ARCHIVED  USED     CREATED"));
    BOOST_TEST(l[1].find("Tutorial") != std::string::npos);
    BOOST_TEST(l[1].find("300 MiB") != std::string::npos);
    BOOST_TEST(l[1].find("false") != std::string::npos);
    BOOST_TEST(l[2].find("true") != std::string::npos);
    BOOST_TEST(l[2].find(" - ") != std::string::npos); // absent attributes show as "-"
}

BOOST_AUTO_TEST_CASE(version_and_file_tables) {
    auto versions = json::parse(R"([{"type":"backgroundAssetVersions","id":"v1","attributes":
        {"version":"3","state":"FAILED","platforms":["IOS","MAC_OS"]}}])")
                        .as_array();
    std::ostringstream out;
    resource_table(versions).print(out);
    BOOST_TEST(out.str().find("VERSION  STATE") != std::string::npos);
    BOOST_TEST(out.str().find("IOS,MAC_OS") != std::string::npos);

    auto files = json::parse(R"([{"type":"backgroundAssetUploadFiles","id":"f1","attributes":
        {"assetType":"ASSET","fileName":"Pack.aar","fileSize":2048,
         "assetDeliveryState":{"state":"COMPLETE"}}}])")
                     .as_array();
    out.str("");
    resource_table(files).print(out);
    auto l = lines_of(out.str());
    BOOST_REQUIRE(l.size() == 2u);
    BOOST_TEST(l[0] == "ID  TYPE   NAME      SIZE      STATE");
    BOOST_TEST(l[1] == "f1  ASSET  Pack.aar  2.00 KiB  COMPLETE");
}

BOOST_AUTO_TEST_CASE(details_show_relationships_and_state_details) {
    std::ostringstream out;
    print_resource_details(out, sample_assets()[0].as_object());
    BOOST_TEST(out.str().find("IDENTIFIER     Tutorial") != std::string::npos);
    BOOST_TEST(out.str().find("APP            1234567890") != std::string::npos);
    BOOST_TEST(out.str().find("INTERNAL BETA  v9") != std::string::npos);

    auto failed = json::parse(R"({"type":"backgroundAssetVersions","id":"v1","attributes":
        {"version":"3","state":"FAILED","stateDetails":{"errors":[{"code":"INVALID_ARCHIVE",
         "description":"not an Apple Archive"}],"warnings":[{"code":"W1"}]}}})");
    out.str("");
    print_resource_details(out, failed.as_object());
    BOOST_TEST(out.str().find("error    INVALID_ARCHIVE: not an Apple Archive") !=
               std::string::npos);
    BOOST_TEST(out.str().find("warning  W1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(json_documents_parse_back_identically) {
    json::value doc = {{"data", sample_assets()},
                       {"empty", json::object{}},
                       {"none", json::array{}},
                       {"text", "quote \" and \n newline"},
                       {"n", 1.5}};
    auto text = pretty_json(doc);
    BOOST_TEST(text.back() == '\n');
    BOOST_TEST(json::parse(text) == doc);
    BOOST_TEST(text.find("\n  \"data\": [\n    {\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(printer_shapes) {
    std::ostringstream out;
    printer json_out(out, output_format::json);
    json_out.list(sample_assets(), "none");
    auto doc = json::parse(out.str());
    BOOST_TEST(doc.at("data").as_array().size() == 2u);
    BOOST_TEST(doc.at("data").at(0).at("id") == "a1");

    out.str("");
    json_out.single(sample_assets()[1]);
    BOOST_TEST(json::parse(out.str()).at("data").at("id") == "a2-longer-id");

    out.str("");
    printer table_out(out, output_format::table);
    table_out.list(json::array{}, "No background assets.");
    BOOST_TEST(out.str() == "No background assets.\n");
}

BOOST_AUTO_TEST_SUITE_END()
