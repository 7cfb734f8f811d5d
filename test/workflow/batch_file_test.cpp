// Batch files: the documented YAML subset and JSON, path resolution and confinement, and an
// error message naming the file, the entry and the problem for each kind of mistake.
#include <boost/test/unit_test.hpp>

#include <ascpp/workflow/batch.hpp>

#include <fstream>
#include <random>

namespace wf = ascpp::workflow;
namespace fs = std::filesystem;

namespace {

struct tree {
    fs::path root;
    tree() {
        std::random_device rd;
        root = fs::temp_directory_path() /
               ("ascpp-batch-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        fs::create_directories(root / "packs" / "Tutorial");
        touch("packs/Tutorial.aar");
        touch("packs/Tutorial/Manifest.json");
        touch("packs/Level2.aar");
        touch("packs/has #hash.aar");
    }
    ~tree() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    void touch(const std::string& rel, const std::string& content = "x") const {
        fs::create_directories((root / rel).parent_path());
        std::ofstream(root / rel) << content;
    }
    fs::path write(const std::string& name, const std::string& text) const {
        std::ofstream(root / name, std::ios::binary) << text;
        return root / name;
    }
};

// The message of the batch_file_error `f` throws (fails the test when it does not throw).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const wf::batch_file_error& e) {
        return e.what();
    }
    BOOST_ERROR("no batch_file_error");
    return {};
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

const char* documented_yaml = R"(# Packs of the next release
app: "1234567890"            # default app of every pack
packs:
  - identifier: Tutorial
    asset: packs/Tutorial.aar
    manifest: packs/Tutorial/Manifest.json   # optional
  - identifier: Level2
    app: "9876543210"       # optional, overrides the default
    asset: 'packs/Level2.aar'
)";

} // namespace

BOOST_AUTO_TEST_SUITE(batch_file)

BOOST_AUTO_TEST_CASE(documented_yaml_example) {
    tree t;
    auto file = t.write("batch.yaml", documented_yaml);
    auto entries = wf::load_batch_file(file);
    BOOST_TEST_REQUIRE(entries.size() == 2u);
    BOOST_TEST(entries[0].app_id == "1234567890");
    BOOST_TEST(entries[0].asset_pack_identifier == "Tutorial");
    BOOST_TEST(fs::equivalent(entries[0].asset, t.root / "packs/Tutorial.aar"));
    BOOST_TEST_REQUIRE(entries[0].manifest.has_value());
    BOOST_TEST(fs::equivalent(*entries[0].manifest, t.root / "packs/Tutorial/Manifest.json"));
    BOOST_TEST(entries[1].app_id == "9876543210");
    BOOST_TEST(entries[1].asset_pack_identifier == "Level2");
    BOOST_TEST(!entries[1].manifest.has_value());
    BOOST_TEST(entries[1].asset.is_absolute());
}

BOOST_AUTO_TEST_CASE(yaml_variants) {
    tree t;
    t.touch("packs/Level2.aar#v2");
    // A top-level list, an item opened on its own line, CRLF, escapes, '#' inside quotes and
    // inside a plain value, unquoted and quoted app ids.
    auto entries = wf::parse_batch("---\r\n"
                                   "- identifier: \"A \\\"quoted\\\" name\"\r\n"
                                   "  app: 1234567890\r\n"
                                   "  asset: \"packs/has #hash.aar\"   # comment\r\n"
                                   "-\r\n"
                                   "  identifier: B\r\n"
                                   "  app: '1234567890'\r\n"
                                   "  asset: packs/Level2.aar#v2\r\n",
                                   t.root, "list.yaml");
    BOOST_TEST_REQUIRE(entries.size() == 2u);
    BOOST_TEST(entries[0].asset_pack_identifier == "A \"quoted\" name");
    BOOST_TEST(entries[0].asset.filename() == "has #hash.aar");
    BOOST_TEST(entries[1].asset.filename() == "Level2.aar#v2");
    BOOST_TEST(entries[1].app_id == "1234567890");

    // Items at the key's own indentation, and a batch file without an extension.
    auto file = t.write("packs.batch", "app: 1234567890\npacks:\n- identifier: A\n"
                                       "  asset: packs/Tutorial.aar\n- identifier: B\n"
                                       "  asset: packs/Level2.aar\n");
    auto aligned = wf::load_batch_file(file);
    BOOST_TEST_REQUIRE(aligned.size() == 2u);
    BOOST_TEST(aligned[1].asset_pack_identifier == "B");
}

BOOST_AUTO_TEST_CASE(json_object_and_list) {
    tree t;
    auto file = t.write("batch.json", R"({"app": 1234567890, "packs": [
        {"identifier": "Tutorial", "asset": "packs/Tutorial.aar",
         "manifest": "packs/Tutorial/Manifest.json"},
        {"identifier": "Level2", "app": "9876543210", "asset": "packs/Level2.aar"}]})");
    auto entries = wf::load_batch_file(file);
    BOOST_TEST_REQUIRE(entries.size() == 2u);
    BOOST_TEST(entries[0].app_id == "1234567890");
    BOOST_TEST(entries[0].manifest.has_value());
    BOOST_TEST(entries[1].app_id == "9876543210");

    auto list = wf::parse_batch(
        R"([{"identifier": "X", "app": "1234567890", "asset": "packs/Level2.aar"}])", t.root,
        "inline");
    BOOST_TEST_REQUIRE(list.size() == 1u);
    BOOST_TEST(list[0].asset_pack_identifier == "X");
}

BOOST_AUTO_TEST_CASE(syntax_errors_name_file_and_line) {
    tree t;
    auto json_file =
        t.write("broken.json", "{\"app\": \"1\",\n \"packs\": [\n  {\"identifier\": }\n]}");
    auto m = error_of([&] { wf::load_batch_file(json_file); });
    BOOST_TEST(contains(m, "broken.json"), m);
    BOOST_TEST(contains(m, "line 3"), m);

    struct yaml_case {
        const char* text;
        const char* expected;
    };
    const yaml_case cases[] = {
        {"app: 1\npacks:\n\t- identifier: A\n", "line 3: tabs"},
        {"app: 1\npacks: [a, b]\n", "line 2: flow collections"},
        {"app: 1\npacks:\n  - identifier: A\n    asset packs/x\n", "line 4: expected 'key: value'"},
        {"app: 1\npacks:\n  - identifier: A\n      asset: x\n", "line 4: unexpected indentation"},
        {"app: \"1\npacks: []\n", "line 1: unterminated quoted value"},
        {"app: 1\napp: 2\n", "line 2: key 'app' repeated"},
        {"app: &a 1\n", "line 1: anchors"},
        {"app: 1\npacks:\n  - identifier: |\n      A\n", "line 3: block scalars"},
        {"app: 1\n---\npacks:\n", "line 2: only one YAML document"},
        {"", "empty"},
    };
    for (const auto& c : cases) {
        auto msg = error_of([&] { wf::parse_batch(c.text, t.root, "b.yaml"); });
        BOOST_TEST(contains(msg, "b.yaml: "), msg);
        BOOST_TEST(contains(msg, c.expected), "expected '" << c.expected << "' in: " << msg);
    }
}

BOOST_AUTO_TEST_CASE(entry_errors_name_the_entry_and_the_problem) {
    tree t;
    struct entry_case {
        const char* text;
        const char* expected;
    };
    const entry_case cases[] = {
        {"app: 1234567890\npacks:\n  - identifier: A\n    asset: packs/Tutorial.aar\n"
         "  - identifier: Level2\n",
         "entry 2 (Level2): no 'asset'"},
        {"app: 1234567890\npacks:\n  - identifier: A\n    assset: packs/Tutorial.aar\n",
         "entry 1 (A): unknown key 'assset'"},
        {"packs:\n  - identifier: A\n    asset: packs/Tutorial.aar\n", "entry 1 (A): no app"},
        {"packs:\n  - identifier: A\n    app: MyApp\n    asset: packs/Tutorial.aar\n",
         "entry 1 (A): app 'MyApp' is not an app id"},
        {"app: 1234567890\npacks:\n  - asset: packs/Tutorial.aar\n", "entry 1: no 'identifier'"},
        {"app: 1234567890\npacks:\n  - identifier: A\n    asset: packs/Missing.aar\n",
         "entry 1 (A): asset 'packs/Missing.aar' does not exist"},
        {"app: 1234567890\npacks:\n  - identifier: A\n    asset: packs/Tutorial\n",
         "is not a regular file"},
        {"app: 1234567890\npacks:\n  - identifier: A\n    asset: packs/Tutorial.aar\n"
         "    manifest: ../outside.json\n",
         "entry 1 (A): manifest '../outside.json' leads outside"},
        {"app: 1234567890\npacks:\n  - identifier: A\n    asset: /etc/hostname\n",
         "asset '/etc/hostname' leads outside"},
        {"app: 1234567890\npacks:\n  - identifier: A\n    asset: packs/../../x.aar\n",
         "leads outside"},
        {"app: 1234567890\npacks:\n  - identifier: A\n    asset: packs/Tutorial.aar\n"
         "  - identifier: B\n    asset: packs/Level2.aar\n"
         "  - identifier: A\n    asset: packs/Level2.aar\n",
         "entry 3 (A): asset pack 'A' of app 1234567890 is already entry 1"},
        {"app: 1234567890\npacks:\n", "no 'packs' list"},
        {"app: 1234567890\npacks: []\n", "flow collections"},
        {R"({"app": "1234567890", "packs": []})", "the list of packs is empty"},
        {R"({"app": "1234567890", "packs": [{"identifier": 5, "asset": "x"}]})",
         "entry 1: 'identifier' must be a string"},
        {R"({"app": "1234567890", "packs": ["packs/Tutorial.aar"]})",
         "entry 1: expected a mapping"},
        {R"({"app": "1234567890", "pack": []})", "unknown key 'pack' at the top"},
        {R"({"app": "1234567890", "packs": {"identifier": "A"}})", "'packs' must be a list"},
    };
    for (const auto& c : cases) {
        auto msg = error_of([&] { wf::parse_batch(c.text, t.root, "batch.yaml"); });
        BOOST_TEST(contains(msg, "batch.yaml: "), msg);
        BOOST_TEST(contains(msg, c.expected), "expected '" << c.expected << "' in: " << msg);
    }
}

BOOST_AUTO_TEST_CASE(paths_outside_the_tree) {
    tree t, other;
    const auto outside = (other.root / "packs/Level2.aar").string();
    const std::string text =
        "app: 1234567890\npacks:\n  - identifier: A\n    asset: \"" + outside + "\"\n";
    auto m = error_of([&] { wf::parse_batch(text, t.root, "batch.yaml"); });
    BOOST_TEST(contains(m, "leads outside"), m);
    wf::batch_file_options allow;
    allow.allow_paths_outside = true;
    auto entries = wf::parse_batch(text, t.root, "batch.yaml", allow);
    BOOST_TEST_REQUIRE(entries.size() == 1u);
    BOOST_TEST(fs::equivalent(entries[0].asset, outside));

    // A symbolic link inside the tree that points out of it.
    std::error_code ec;
    fs::create_symlink(outside, t.root / "packs" / "link.aar", ec);
    if (!ec) {
        auto link = error_of([&] {
            wf::parse_batch(
                "app: 1234567890\npacks:\n  - identifier: A\n    asset: packs/link.aar\n", t.root,
                "batch.yaml");
        });
        BOOST_TEST(contains(link, "symbolic link"), link);
    }

    auto missing = error_of([&] { wf::load_batch_file(t.root / "nope.yaml"); });
    BOOST_TEST(contains(missing, "nope.yaml: cannot read"), missing);
}

BOOST_AUTO_TEST_SUITE_END()
