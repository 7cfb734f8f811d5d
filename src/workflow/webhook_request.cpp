#include "webhook_request.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace ascpp::workflow {

namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(n * 2, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view body) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(body.data()), body.size(), md, &len))
        throw std::runtime_error("HMAC-SHA256 failed");
    return to_hex(md, len);
}

std::string sha256_hex(std::string_view body) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(body.data(), body.size(), md, &len, EVP_sha256(), nullptr))
        throw std::runtime_error("SHA-256 failed");
    return to_hex(md, len);
}

const boost::json::object* object_at(const boost::json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() ? it->value().if_object() : nullptr;
}

std::string string_at(const boost::json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end())
        return {};
    if (const auto* s = it->value().if_string())
        return std::string(*s);
    return {};
}

// A state as a string, or an object's "state" member.
std::string state_at(const boost::json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end())
        return {};
    if (const auto* s = it->value().if_string())
        return std::string(*s);
    if (const auto* inner = it->value().if_object())
        return string_at(*inner, "state");
    return {};
}

} // namespace

std::string webhook_signature(std::string_view secret, std::string_view body) {
    return hmac_sha256_hex(secret, body);
}

bool verify_webhook_signature(std::string_view secret, std::string_view prefix,
                              std::string_view header_value, std::string_view body) {
    if (header_value.size() < prefix.size() || header_value.substr(0, prefix.size()) != prefix)
        return false;
    std::string given(header_value.substr(prefix.size()));
    const std::string expected = hmac_sha256_hex(secret, body);
    // The length of a SHA-256 digest is no secret; its bytes are compared in constant time.
    if (given.size() != expected.size())
        return false;
    for (auto& c : given)
        if (c >= 'A' && c <= 'F')
            c = static_cast<char>(c - 'A' + 'a');
    return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

webhook_event parse_webhook_event(std::string_view body) {
    boost::system::error_code ec;
    boost::json::parse_options po;
    po.max_depth = 32;
    auto v = boost::json::parse(body, ec, {}, po);
    if (ec)
        throw std::invalid_argument("the body is not JSON: " + ec.message());
    const auto* root = v.if_object();
    if (!root)
        throw std::invalid_argument("the body is not a JSON object");
    const auto* data = object_at(*root, "data");
    if (!data)
        throw std::invalid_argument("the body has no \"data\" object");
    webhook_event e;
    e.id = string_at(*data, "id");
    e.event_type = string_at(*data, "type");
    if (const auto* a = object_at(*data, "attributes")) {
        e.new_state = state_at(*a, "newValue");
        e.old_state = state_at(*a, "oldValue");
        e.timestamp = string_at(*a, "timestamp");
    }
    if (const auto* r = object_at(*data, "relationships"))
        if (const auto* instance = object_at(*r, "instance"))
            if (const auto* d = object_at(*instance, "data")) {
                e.resource_type = string_at(*d, "type");
                e.resource_id = string_at(*d, "id");
            }
    e.body = std::string(body);
    return e;
}

namespace detail {

void limit_parser(webhook_parser& parser, const webhook_receiver_options& options) {
    parser.header_limit(webhook_header_limit);
    parser.body_limit(options.max_body_bytes);
}

webhook_verdict judge_webhook(const webhook_receiver_options& options,
                              const bhttp::request<bhttp::string_body>& request) {
    webhook_verdict v;
    if (request.method() != bhttp::verb::post)
        return v;
    auto it = request.find(options.signature_header);
    if (it == request.end()) {
        v.outcome = webhook_outcome::missing_signature;
        v.status = 401;
        return v;
    }
    const std::string_view header(it->value().data(), it->value().size());
    if (!verify_webhook_signature(options.secret, options.signature_prefix, header,
                                  request.body())) {
        v.outcome = webhook_outcome::bad_signature;
        v.status = 401;
        return v;
    }
    try {
        v.event = parse_webhook_event(request.body());
    } catch (const std::invalid_argument&) {
        v.outcome = webhook_outcome::malformed;
        v.status = 400;
        return v;
    }
    if (v.event->id.empty())
        v.event->id = "sha256:" + sha256_hex(request.body());
    v.outcome = webhook_outcome::accepted;
    v.status = 200;
    return v;
}

} // namespace detail
} // namespace ascpp::workflow
