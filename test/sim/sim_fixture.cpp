#include "sim_fixture.hpp"

#include <ascpp/auth/token_provider.hpp>

#include <support/spec_validator.hpp>

#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>

#include <thread>

namespace ascpp::test {

namespace {

std::atomic<std::uint64_t> checked{0};

std::string digest_hex(const EVP_MD* md, std::string_view bytes) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(bytes.data(), bytes.size(), out, &n, md, nullptr);
    static const char* digits = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < n; ++i) {
        hex.push_back(digits[out[i] >> 4]);
        hex.push_back(digits[out[i] & 15]);
    }
    return hex;
}

std::vector<std::string> segments(std::string_view path) {
    auto q = path.find('?');
    path = path.substr(0, q);
    std::vector<std::string> out;
    std::size_t start = 1;
    while (start <= path.size()) {
        auto slash = path.find('/', start);
        out.emplace_back(path.substr(start, slash - start));
        if (slash == std::string_view::npos)
            break;
        start = slash + 1;
    }
    return out;
}

} // namespace

sim::simulator_options test_options() {
    sim::simulator_options o;
    o.app_ids = {"1000000001", "1000000002"};
    o.part_size = 64 * 1024;
    o.upload_processing_delay = std::chrono::milliseconds(20);
    o.version_processing_delay = std::chrono::milliseconds(20);
    o.release_processing_delay = std::chrono::milliseconds(20);
    o.seed = 42;
    return o;
}

std::string response_schema(verb method, std::string_view path, unsigned status) {
    if (status >= 400)
        return status == 406 ? "" : "ErrorResponse";
    auto s = segments(path);
    if (s.size() < 2 || s[0] != "v1")
        return "";
    const auto n = s.size();
    const std::string& c = s[1];
    if (c == "apps")
        return n == 4 ? "BackgroundAssetsResponse" : "AppBackgroundAssetsLinkagesResponse";
    if (c == "backgroundAssets") {
        if (n <= 3)
            return "BackgroundAssetResponse";
        return n == 4 ? "BackgroundAssetVersionsResponse"
                      : "BackgroundAssetVersionsLinkagesResponse";
    }
    if (c == "backgroundAssetVersions") {
        if (n <= 3)
            return "BackgroundAssetVersionResponse";
        return n == 4 ? "BackgroundAssetUploadFilesResponse"
                      : "BackgroundAssetVersionBackgroundAssetUploadFilesLinkagesResponse";
    }
    if (c == "backgroundAssetUploadFiles")
        return "BackgroundAssetUploadFileResponse";
    if (c == "backgroundAssetVersionInternalBetaReleases")
        return "BackgroundAssetVersionInternalBetaReleaseResponse";
    if (c == "backgroundAssetVersionExternalBetaReleases")
        return "BackgroundAssetVersionExternalBetaReleaseResponse";
    if (c == "backgroundAssetVersionAppStoreReleases")
        return "BackgroundAssetVersionAppStoreReleaseResponse";
    (void)method;
    return "";
}

void check_against_spec(verb method, std::string_view path, const http_result& r) {
    if (r.status == 0)
        return;
    auto schema = response_schema(method, path, r.status);
    if (schema.empty())
        return;
    BOOST_TEST_CONTEXT(std::string(boost::beast::http::to_string(method))
                       << " " << path << " -> " << r.status) {
        BOOST_TEST(r.header("Content-Type") == "application/json");
        auto problems = spec_validator::check_text(schema, r.body, r.status < 400);
        BOOST_TEST(problems.empty(), schema << ": " << spec_validator::describe(problems) << "\n"
                                            << r.body.substr(0, 2000));
        ++checked;
    }
}

std::uint64_t bodies_checked() {
    return checked.load();
}

std::string md5_hex(std::string_view bytes) {
    return digest_hex(EVP_md5(), bytes);
}
std::string sha256_hex(std::string_view bytes) {
    return digest_hex(EVP_sha256(), bytes);
}

std::string make_bytes(std::size_t n, std::uint32_t seed) {
    std::string out(n, '\0');
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& c : out) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x & 0xFF);
    }
    return out;
}

sim_env::sim_env(sim::simulator_options options)
    : sim(std::move(options)), key(sim.create_api_key()),
      private_key(auth::private_key::from_pem(key.private_key_pem)), client(sim.ca_file()) {}

std::string sim_env::token() const {
    auth::token_claims claims;
    claims.key_id = key.key_id;
    if (!key.individual)
        claims.issuer_id = key.issuer_id;
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    claims.issued_at = now - 60;
    claims.expires_at = now - 60 + 1200;
    return auth::sign_token(private_key, claims);
}

http_result sim_env::api_raw(verb method, std::string path_and_query, std::string body,
                             std::vector<std::pair<std::string, std::string>> headers) {
    http_call call;
    call.method = method;
    call.url =
        path_and_query.starts_with("https://") ? path_and_query : sim.api_url() + path_and_query;
    call.body = std::move(body);
    call.headers = std::move(headers);
    auto r = client.send(call);
    std::string path = call.url.substr(sim.api_url().size());
    check_against_spec(method, path, r);
    return r;
}

http_result sim_env::api(verb method, std::string path_and_query, std::optional<json::value> body,
                         std::vector<std::pair<std::string, std::string>> extra_headers) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", bearer()}};
    std::string text;
    if (body) {
        headers.emplace_back("Content-Type", "application/json");
        text = json::serialize(*body);
    }
    for (auto& h : extra_headers)
        headers.push_back(std::move(h));
    return api_raw(method, std::move(path_and_query), std::move(text), std::move(headers));
}

http_result sim_env::control(verb method, std::string path, std::optional<json::value> body) {
    http_call call;
    call.method = method;
    call.url = sim.api_url() + path;
    if (body) {
        call.body = json::serialize(*body);
        call.headers.emplace_back("Content-Type", "application/json");
    }
    return client.send(call);
}

std::string sim_env::create_pack(const std::string& identifier, const std::string& app_id) {
    auto app = app_id.empty() ? sim.options().app_ids.front() : app_id;
    auto r = api(
        verb::post, "/v1/backgroundAssets",
        json::parse(R"({"data":{"type":"backgroundAssets","attributes":{"assetPackIdentifier":")" +
                    identifier + R"("},"relationships":{"app":{"data":{"type":"apps","id":")" +
                    app + R"("}}}}})"));
    BOOST_TEST_REQUIRE(r.status == 201u, r.body);
    return std::string(r.json().at("data").at("id").as_string());
}

std::string sim_env::create_version(const std::string& pack_id) {
    auto r = api(
        verb::post, "/v1/backgroundAssetVersions",
        json::parse(
            R"({"data":{"type":"backgroundAssetVersions","relationships":{"backgroundAsset":{"data":{"type":"backgroundAssets","id":")" +
            pack_id + R"("}}}}})"));
    BOOST_TEST_REQUIRE(r.status == 201u, r.body);
    return std::string(r.json().at("data").at("id").as_string());
}

json::object sim_env::reserve(const std::string& version_id, const std::string& file_name,
                              std::uint64_t size, const std::string& type) {
    json::object body{
        {"data",
         {{"type", "backgroundAssetUploadFiles"},
          {"attributes", {{"assetType", type}, {"fileName", file_name}, {"fileSize", size}}},
          {"relationships",
           {{"backgroundAssetVersion",
             {{"data", {{"type", "backgroundAssetVersions"}, {"id", version_id}}}}}}}}}};
    auto r = api(verb::post, "/v1/backgroundAssetUploadFiles", body);
    BOOST_TEST_REQUIRE(r.status == 201u, r.body);
    return r.json().at("data").as_object();
}

std::vector<http_result> sim_env::upload_parts(const json::object& file, const std::string& bytes,
                                               bool concurrently) {
    std::vector<http_call> calls;
    for (auto& op_v : file.at("attributes").at("uploadOperations").as_array()) {
        auto& op = op_v.as_object();
        http_call c;
        c.method = verb::put;
        c.url = std::string(op.at("url").as_string());
        auto offset = op.at("offset").to_number<std::size_t>();
        auto length = op.at("length").to_number<std::size_t>();
        c.body = bytes.substr(offset, length);
        for (auto& h : op.at("requestHeaders").as_array())
            c.headers.emplace_back(std::string(h.at("name").as_string()),
                                   std::string(h.at("value").as_string()));
        calls.push_back(std::move(c));
    }
    if (concurrently)
        return client.send_all(calls);
    std::vector<http_result> out;
    for (auto& c : calls)
        out.push_back(client.send(c));
    return out;
}

http_result sim_env::commit(const std::string& file_id, std::optional<json::value> checksums) {
    json::object attrs{{"uploaded", true}};
    if (checksums)
        attrs["sourceFileChecksums"] = *checksums;
    json::object body{{"data",
                       {{"type", "backgroundAssetUploadFiles"},
                        {"id", file_id},
                        {"attributes", std::move(attrs)}}}};
    return api(verb::patch, "/v1/backgroundAssetUploadFiles/" + file_id, body);
}

std::string sim_env::wait_for(const std::string& path,
                              const std::function<std::string(const json::object&)>& accessor,
                              std::initializer_list<std::string_view> wanted) {
    std::string last;
    // Bounded: at most 600 polls, 25 ms apart (15 s), far beyond the 20 ms delays configured.
    for (int i = 0; i < 600; ++i) {
        auto r = api(verb::get, path);
        if (r.status != 200)
            return "HTTP " + std::to_string(r.status);
        last = accessor(r.json().at("data").as_object());
        for (auto w : wanted)
            if (last == w)
                return last;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return last;
}

} // namespace ascpp::test
