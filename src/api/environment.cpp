// The ASC_* environment and explicit overrides, resolved into a client configuration.
#include <ascpp/api/environment.hpp>
#include <ascpp/auth/error.hpp>

#include <boost/url/parse.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

namespace ascpp::api {

namespace {

// A .p8 key is a few hundred bytes and a CA bundle a few hundred KiB; anything much larger is
// neither, and is not read whole.
constexpr std::size_t max_key_file_size = 64 * 1024;
constexpr std::size_t max_ca_file_size = 4 * 1024 * 1024;

struct lookup_result {
    std::optional<std::string> value;
    std::string origin; // "--key-id" or "ASC_KEY_ID"
};

lookup_result pick(const std::optional<std::string>& value, const std::string& name,
                   const env_lookup& env, std::string_view var) {
    if (value && !value->empty())
        return {value, name.empty() ? std::string("an explicit value") : name};
    if (auto v = env(var))
        return {v, std::string(var)};
    return {};
}

[[noreturn]] void missing(std::string_view what, const std::string& name, std::string_view var) {
    throw config_error("missing " + std::string(what) + ": " +
                       (name.empty() ? std::string() : "pass " + name + " or ") + "set " +
                       std::string(var));
}

std::string read_small_file(const std::filesystem::path& path, std::string_view what,
                            std::string_view origin, std::size_t limit) {
    auto fail = [&](const std::string& why) -> std::string {
        throw config_error("cannot read " + std::string(what) + " '" + path.string() + "' (from " +
                           std::string(origin) + "): " + why);
    };
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec)
        fail(ec.message());
    if (std::filesystem::is_directory(status))
        fail("it is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(std::strerror(errno));
    std::string text;
    text.resize(limit + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad())
        fail("read error");
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > limit)
        fail("larger than " + std::to_string(limit / 1024) + " KiB");
    return text;
}

bool looks_like_pem(std::string_view text) {
    return text.find("-----BEGIN ") != std::string_view::npos;
}

} // namespace

env_lookup process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (!v || !*v)
            return std::nullopt;
        return std::string(v);
    };
}

std::string resolved_config::describe() const {
    std::string s = "api " + api_url + ", key id " + key_id;
    s += issuer_id ? ", issuer " + *issuer_id : ", individual key (no issuer)";
    s += ", private key from " + private_key_origin;
    if (ca_file)
        s += ", extra CA " + ca_file->string();
    return s;
}

resolved_config resolve_client_config(const config_overrides& flags, const env_lookup& env,
                                      const override_names& names) {
    resolved_config c;

    auto key_id = pick(flags.key_id, names.key_id, env, "ASC_KEY_ID");
    if (!key_id.value)
        missing("API key id", names.key_id, "ASC_KEY_ID");
    c.key_id = *key_id.value;

    c.issuer_id = pick(flags.issuer_id, names.issuer_id, env, "ASC_ISSUER_ID").value;

    auto key_path =
        pick(flags.private_key_path, names.private_key_path, env, "ASC_PRIVATE_KEY_PATH");
    if (key_path.value) {
        c.private_key_origin = key_path.origin + " " + *key_path.value;
        c.private_key_pem =
            read_small_file(*key_path.value, "private key", key_path.origin, max_key_file_size);
        if (!looks_like_pem(c.private_key_pem))
            throw config_error("private key '" + *key_path.value + "' (from " + key_path.origin +
                               ") is not a PEM file; expected the .p8 file App Store Connect "
                               "issued");
    } else if (auto pem = env("ASC_PRIVATE_KEY")) {
        c.private_key_origin = "ASC_PRIVATE_KEY";
        c.private_key_pem = std::move(*pem);
        // CI secret stores often flatten newlines to a literal "\n".
        if (c.private_key_pem.find('\n') == std::string::npos) {
            std::string unescaped;
            for (std::size_t i = 0; i < c.private_key_pem.size(); ++i) {
                if (c.private_key_pem[i] == '\\' && i + 1 < c.private_key_pem.size() &&
                    c.private_key_pem[i + 1] == 'n') {
                    unescaped += '\n';
                    ++i;
                } else {
                    unescaped += c.private_key_pem[i];
                }
            }
            c.private_key_pem = std::move(unescaped);
        }
        if (!looks_like_pem(c.private_key_pem))
            throw config_error("ASC_PRIVATE_KEY does not hold a PEM private key (to name a key "
                               "file, set ASC_PRIVATE_KEY_PATH instead)");
    } else {
        throw config_error("missing private key: " +
                           (names.private_key_path.empty()
                                ? std::string()
                                : "pass " + names.private_key_path + " PATH, or ") +
                           "set ASC_PRIVATE_KEY_PATH, or put the PEM in ASC_PRIVATE_KEY");
    }

    auto url = pick(flags.api_url, names.api_url, env, "ASC_API_URL");
    c.api_url = url.value ? *url.value : std::string(default_api_url);
    auto parsed = boost::urls::parse_absolute_uri(c.api_url);
    if (!parsed || (parsed->scheme() != "https" && parsed->scheme() != "http") ||
        parsed->encoded_host().empty())
        throw config_error("API URL '" + c.api_url + "' (from " + url.origin +
                           ") is not an absolute http(s) URL");
    while (c.api_url.size() > 1 && c.api_url.back() == '/')
        c.api_url.pop_back();

    auto ca = pick(flags.ca_file, names.ca_file, env, "ASC_CA_FILE");
    if (ca.value) {
        // Read now so a typo is reported as configuration, not as a TLS failure later.
        auto pem = read_small_file(*ca.value, "CA file", ca.origin, max_ca_file_size);
        if (!looks_like_pem(pem))
            throw config_error("CA file '" + *ca.value + "' (from " + ca.origin +
                               ") is not a PEM certificate");
        c.ca_file = std::filesystem::path(*ca.value);
    }
    return c;
}

client_config resolved_config::to_client_config() const {
    client_config cc;
    cc.base_url = api_url;
    cc.key_id = key_id;
    cc.issuer_id = issuer_id;
    try {
        cc.private_key = auth::private_key::from_pem(private_key_pem);
    } catch (const auth::key_error& e) {
        throw config_error("private key from " + private_key_origin + ": " + e.what());
    }
    cc.ca_file = ca_file;
    return cc;
}

client_config client_config::from_environment() {
    return resolve_client_config(config_overrides(), process_environment()).to_client_config();
}

} // namespace ascpp::api
