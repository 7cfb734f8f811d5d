#include "cli_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <random>

namespace ascpp::test {

namespace fs = std::filesystem;

std::string program(const std::string& name) {
    const char* dir = std::getenv("ASCPP_BIN_DIR");
    BOOST_REQUIRE_MESSAGE(dir, "ASCPP_BIN_DIR is not set (run the tests through ctest)");
    return (fs::path(dir) / name).string();
}

sim::simulator_options cli_fixture::default_options() {
    sim::simulator_options o;
    o.app_ids = {app_id};
    o.part_size = 1024 * 1024;
    o.upload_processing_delay = std::chrono::milliseconds(50);
    o.version_processing_delay = std::chrono::milliseconds(100);
    o.release_processing_delay = std::chrono::milliseconds(50);
    return o;
}

namespace {

fs::path fresh_dir() {
    std::random_device rd;
    auto d = fs::temp_directory_path() / ("ascpp-cli-test-" + std::to_string(rd()));
    fs::create_directories(d);
    return d;
}

} // namespace

cli_fixture::cli_fixture(sim::simulator_options options)
    : dir(fresh_dir()), sim(std::move(options)), key(sim.create_api_key()) {
    key_file = dir / ("AuthKey_" + key.key_id + ".p8");
    std::ofstream(key_file) << key.private_key_pem;
    env = {{"ASC_KEY_ID", key.key_id},
           {"ASC_ISSUER_ID", key.issuer_id},
           {"ASC_PRIVATE_KEY_PATH", key_file.string()},
           {"ASC_API_URL", sim.api_url()},
           {"ASC_CA_FILE", sim.ca_file().string()}};
}

cli_fixture::~cli_fixture() {
    sim.stop();
    std::error_code ec;
    fs::remove_all(dir, ec);
}

process_result cli_fixture::ascpp(std::vector<std::string> args,
                                  std::map<std::string, std::string> extra_env) const {
    return start(std::move(args), std::move(extra_env))->wait();
}

std::unique_ptr<subprocess> cli_fixture::start(std::vector<std::string> args,
                                               std::map<std::string, std::string> extra_env) const {
    args.insert(args.begin(), program("ascpp"));
    auto e = env;
    for (auto& [k, v] : extra_env)
        e[k] = v;
    return std::make_unique<subprocess>(std::move(args), std::move(e));
}

boost::json::value cli_fixture::ascpp_json(std::vector<std::string> args) const {
    args.push_back("--output");
    args.push_back("json");
    auto r = ascpp(args);
    std::string cmd;
    for (const auto& a : args)
        cmd += " " + a;
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0,
                          "ascpp" << cmd << " exited " << r.exit_code << "\nstderr: " << r.err);
    boost::system::error_code ec;
    auto v = boost::json::parse(r.out, ec);
    BOOST_REQUIRE_MESSAGE(!ec, "ascpp" << cmd << " printed no JSON document: " << r.out);
    return v;
}

fs::path cli_fixture::make_file(const std::string& name, std::uint64_t size) const {
    auto p = dir / name;
    std::ofstream out(p, std::ios::binary);
    std::mt19937_64 rng(size);
    std::vector<std::uint64_t> block(8192);
    std::uint64_t left = size;
    while (left > 0) {
        for (auto& w : block)
            w = rng();
        auto n = std::min<std::uint64_t>(left, block.size() * sizeof(std::uint64_t));
        out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
        left -= n;
    }
    return p;
}

std::string str(const boost::json::value& v, std::initializer_list<std::string_view> path) {
    const boost::json::value* p = &v;
    for (auto key : path)
        p = &p->as_object().at(key);
    return std::string(p->as_string());
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

} // namespace ascpp::test
