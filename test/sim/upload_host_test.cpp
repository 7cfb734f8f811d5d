// The upload host as a part PUT meets it, with plain HTTPS requests: which requests it refuses
// (method, token, expiry, headers, exact Content-Length), the ETag of an accepted part, the
// counter of Authorization headers that must never reach it, and how commits end when parts are
// missing or the checksums do not match.
#include <boost/test/unit_test.hpp>

#include "sim_fixture.hpp"

using namespace ascpp::test;

namespace {

std::string upper(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

struct part {
    std::string url;
    std::uint64_t offset = 0, length = 0;
};

std::vector<part> parts_of(const json::object& file) {
    std::vector<part> out;
    for (auto& op : file.at("attributes").at("uploadOperations").as_array()) {
        part p;
        p.url = std::string(op.at("url").as_string());
        p.offset = op.at("offset").to_number<std::uint64_t>();
        p.length = op.at("length").to_number<std::uint64_t>();
        out.push_back(p);
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
    return out;
}

http_call put(const part& p, const std::string& bytes) {
    http_call c;
    c.method = verb::put;
    c.url = p.url;
    c.body = bytes.substr(p.offset, p.length);
    c.headers = {{"Content-Type", "application/octet-stream"}};
    c.timeout = std::chrono::seconds(10);
    return c;
}

// The S3-style error code of an upload host refusal.
std::string code_of(const http_result& r) {
    auto start = r.body.find("<Code>");
    auto end = r.body.find("</Code>");
    if (start == std::string::npos || end == std::string::npos)
        return {};
    return r.body.substr(start + 6, end - start - 6);
}

std::string delivery_state_of(const json::object& d) {
    return std::string(d.at("attributes").at("assetDeliveryState").at("state").as_string());
}
std::string state_of(const json::object& d) {
    return std::string(d.at("attributes").at("state").as_string());
}

} // namespace

BOOST_AUTO_TEST_SUITE(upload_host)

BOOST_AUTO_TEST_CASE(refuses_every_malformed_part_put_and_accepts_the_exact_one) {
    sim_env env;
    auto version = env.create_version(env.create_pack("Uploads"));
    const std::string bytes = make_bytes(100 * 1024, 5);
    auto file = env.reserve(version, "Uploads.aar", bytes.size());
    auto file_id = std::string(file.at("id").as_string());
    auto parts = parts_of(file);
    BOOST_TEST_REQUIRE(parts.size() == 2u);
    BOOST_TEST(parts[0].length == 64u * 1024);
    BOOST_TEST(parts[1].length == bytes.size() - 64u * 1024);
    const auto& p1 = parts[0];

    struct bad {
        std::string name;
        http_call call;
        unsigned status;
        std::string code;
    };
    std::vector<bad> cases;
    {
        // Refused requests announce their body but send none of it: the host answers from the
        // headers alone, and no body is left unread on the wire when it closes.
        auto announced = [&](std::uint64_t length) {
            auto c = put(p1, bytes);
            c.body.clear();
            c.content_length = length;
            return c;
        };
        auto c = announced(0);
        c.method = verb::get;
        c.content_length.reset();
        cases.push_back({"GET", c, 403, "SignatureDoesNotMatch"});
        c = announced(p1.length);
        c.method = verb::post;
        cases.push_back({"POST", c, 403, "SignatureDoesNotMatch"});
        c = announced(p1.length);
        c.url.insert(c.url.find('?'), "x");
        cases.push_back({"unknown token", c, 403, "AccessDenied"});
        c = announced(p1.length);
        c.headers.clear();
        cases.push_back({"no Content-Type", c, 403, "SignatureDoesNotMatch"});
        c = announced(p1.length);
        c.headers = {{"Content-Type", "text/plain"}};
        cases.push_back({"other Content-Type", c, 403, "SignatureDoesNotMatch"});
        c = announced(0);
        c.content_length.reset();
        c.body = "abc";
        c.chunked = true;
        cases.push_back({"chunked", c, 411, "MissingContentLength"});
        cases.push_back({"one byte short", announced(p1.length - 1), 400, "InvalidPartLength"});
        cases.push_back({"one byte long", announced(p1.length + 1), 400, "InvalidPartLength"});
        cases.push_back(
            {"another part's size", announced(parts[1].length), 400, "InvalidPartLength"});
    }
    for (auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            auto r = env.client.send(c.call);
            BOOST_TEST_REQUIRE(r.status == c.status, r.error << r.body);
            BOOST_TEST(code_of(r) == c.code);
            BOOST_TEST(r.header("ETag").empty());
        }
    }
    auto refused = env.sim.stats();
    BOOST_TEST(refused.parts_received == 0u);
    BOOST_TEST(refused.upload_authorization_headers == 0u);
    BOOST_TEST(refused.requests.at("upload_part") == cases.size());

    // The exact PUT: 200 with the part's MD5 as a quoted ETag.
    auto ok = env.client.send(put(p1, bytes));
    BOOST_TEST_REQUIRE(ok.status == 200u, ok.error << ok.body);
    BOOST_TEST(ok.header("ETag") == "\"" + upper(md5_hex(bytes.substr(0, p1.length))) + "\"");
    // An Authorization header is counted (a client must never send its API token here).
    auto leaked = put(p1, bytes);
    leaked.headers.emplace_back("Authorization", "Bearer something");
    BOOST_TEST(env.client.send(leaked).status == 200u);
    BOOST_TEST(env.sim.stats().upload_authorization_headers == 1u);
    BOOST_TEST(env.sim.stats().parts_received == 2u);

    // A commit with a part missing is refused and the file keeps waiting for it.
    auto early = env.commit(file_id);
    BOOST_TEST_REQUIRE(early.status == 409u, early.body);
    auto err = early.json().at("errors").at(0).as_object();
    BOOST_TEST(std::string(err.at("code").as_string()).starts_with("ENTITY_ERROR"));
    BOOST_TEST(err.at("source").at("pointer").as_string() == "/data/attributes/uploaded");
    auto waiting = env.api(verb::get, "/v1/backgroundAssetUploadFiles/" + file_id);
    BOOST_TEST(delivery_state_of(waiting.json().at("data").as_object()) == "AWAITING_UPLOAD");

    // With every part there, the commit is accepted; the URLs then stop working.
    auto last = env.client.send(put(parts[1], bytes));
    BOOST_TEST_REQUIRE(last.status == 200u);
    auto done = env.commit(
        file_id, json::parse(R"({"file":{"hash":")" + md5_hex(bytes) + R"(","algorithm":"MD5"}})"));
    BOOST_TEST_REQUIRE(done.status == 200u, done.body);
    auto after = env.client.send(put(p1, bytes));
    BOOST_TEST(after.status == 403u);
    BOOST_TEST(code_of(after) == "AccessDenied");
    BOOST_TEST(env.wait_for("/v1/backgroundAssetUploadFiles/" + file_id, delivery_state_of,
                            {"COMPLETE", "FAILED"}) == "COMPLETE");
    auto s = env.sim.stats();
    BOOST_TEST(s.checksums_matched == 1u);
    BOOST_TEST(s.upload_bytes_received >= bytes.size() + p1.length);
}

BOOST_AUTO_TEST_CASE(expired_upload_urls_get_403) {
    auto options = test_options();
    options.upload_url_lifetime = std::chrono::seconds(0); // expired as soon as issued
    sim_env env(options);
    auto version = env.create_version(env.create_pack("Expired"));
    const std::string bytes = make_bytes(1000);
    auto file = env.reserve(version, "Expired.aar", bytes.size());
    auto results = env.upload_parts(file, bytes);
    BOOST_TEST_REQUIRE(results.size() == 1u);
    BOOST_TEST(results[0].status == 403u);
    BOOST_TEST(code_of(results[0]) == "AccessDenied");
    BOOST_TEST(results[0].body.find("expired") != std::string::npos);
    BOOST_TEST(env.sim.stats().parts_received == 0u);
}

// The added round trip holds each acknowledgement (a lower bound only: a busy machine may add
// more, never less).
BOOST_AUTO_TEST_CASE(upload_latency_holds_each_part_response) {
    auto options = test_options();
    options.upload_latency = std::chrono::milliseconds(150);
    sim_env env(options);
    auto version = env.create_version(env.create_pack("Far"));
    const std::string bytes = make_bytes(1000);
    auto file = env.reserve(version, "Far.aar", bytes.size());
    const auto started = std::chrono::steady_clock::now();
    auto results = env.upload_parts(file, bytes);
    const auto took = std::chrono::steady_clock::now() - started;
    BOOST_TEST_REQUIRE(results.size() == 1u);
    BOOST_TEST(results[0].status == 200u);
    BOOST_TEST((took >= std::chrono::milliseconds(150)));
    BOOST_TEST(env.sim.stats().parts_received == 1u);
}

BOOST_AUTO_TEST_CASE(checksum_mismatches_end_failed_with_errors) {
    sim_env env;
    auto pack = env.create_pack("Checksums");
    const std::string bytes = make_bytes(150 * 1024, 3);
    auto check = [&](json::value checksums) {
        auto version = env.create_version(pack);
        auto file = env.reserve(version, "c.aar", bytes.size());
        for (auto& r : env.upload_parts(file, bytes, true))
            BOOST_TEST_REQUIRE(r.status == 200u);
        auto id = std::string(file.at("id").as_string());
        auto c = env.commit(id, checksums);
        BOOST_TEST_REQUIRE(c.status == 200u, c.body);
        BOOST_TEST(env.wait_for("/v1/backgroundAssetUploadFiles/" + id, delivery_state_of,
                                {"COMPLETE", "FAILED"}) == "FAILED");
        auto f = env.api(verb::get, "/v1/backgroundAssetUploadFiles/" + id);
        const json::value doc_200 = f.json();
        auto& errors = doc_200.at("data").at("attributes").at("assetDeliveryState").at("errors");
        BOOST_TEST_REQUIRE(!errors.as_array().empty());
        BOOST_TEST(errors.at(0).at("code").as_string() == "CHECKSUM_MISMATCH");
        BOOST_TEST(!errors.at(0).at("description").as_string().empty());
        BOOST_TEST(env.wait_for("/v1/backgroundAssetVersions/" + version, state_of,
                                {"COMPLETE", "FAILED"}) == "FAILED");
        auto v = env.api(verb::get, "/v1/backgroundAssetVersions/" + version);
        BOOST_TEST(
            v.json().at("data").at("attributes").at("stateDetails").at("errors").at(0).at("code") ==
            json::value("CHECKSUM_MISMATCH"));
    };
    // A whole-file MD5 of other bytes, a SHA-256 of other bytes, a composite with the wrong
    // part count.
    check(json::parse(R"({"file":{"hash":")" + md5_hex("other") + R"(","algorithm":"MD5"}})"));
    check(
        json::parse(R"({"file":{"hash":")" + sha256_hex("other") + R"(","algorithm":"SHA_256"}})"));
    check(json::parse(R"({"composite":{"hash":")" + upper(md5_hex("x")) +
                      R"(-2","algorithm":"MD5"}})"));
    auto s = env.sim.stats();
    BOOST_TEST(s.checksums_mismatched == 3u);
    BOOST_TEST(s.checksums_matched == 0u);
    BOOST_TEST(s.upload_authorization_headers == 0u);
}

// Parts of several read chunks (hashed on the hash pool one chunk behind the reads when they
// arrive in file order, spooled and hashed later when they arrive ahead of it): every ETag and
// both whole-file digests are exact, and every part is counted once it is in the file digests.
BOOST_AUTO_TEST_CASE(multi_chunk_parts_in_and_out_of_order_hash_exactly) {
    auto options = test_options();
    options.part_size = 1024 * 1024 + 37; // four 256 KiB reads and a few bytes
    options.shuffle_upload_operations = false;
    sim_env env(options);
    auto pack = env.create_pack("Chunks");
    const std::string bytes = make_bytes(3 * options.part_size + 5000, 11);
    for (std::string algorithm : {"MD5", "SHA_256"}) {
        auto version = env.create_version(pack);
        auto file = env.reserve(version, "chunks.aar", bytes.size());
        auto parts = parts_of(file);
        BOOST_TEST_REQUIRE(parts.size() == 4u);
        env.sim.reset_stats();
        for (std::size_t i : {0, 2, 1, 3}) {
            auto r = env.client.send(put(parts[i], bytes));
            BOOST_TEST_REQUIRE(r.status == 200u, r.error << r.body);
            BOOST_TEST(r.header("ETag") ==
                       "\"" + upper(md5_hex(bytes.substr(parts[i].offset, parts[i].length))) +
                           "\"");
        }
        const std::string hash = algorithm == "MD5" ? md5_hex(bytes) : sha256_hex(bytes);
        auto id = std::string(file.at("id").as_string());
        auto c = env.commit(id, json::parse(R"({"file":{"hash":")" + hash + R"(","algorithm":")" +
                                            algorithm + R"("}})"));
        BOOST_TEST_REQUIRE(c.status == 200u, c.body);
        BOOST_TEST(env.wait_for("/v1/backgroundAssetUploadFiles/" + id, delivery_state_of,
                                {"COMPLETE", "FAILED"}) == "COMPLETE");
        auto s = env.sim.stats();
        BOOST_TEST(s.checksums_matched == 1u);
        BOOST_TEST(s.parts_received == 4u);
        BOOST_TEST(s.parts_digested == 4u);
    }
}

BOOST_AUTO_TEST_SUITE_END()
