#include "encoding.hpp"

#include <openssl/rand.h>

#include <ctime>
#include <stdexcept>

namespace ascpp::sim {

namespace {
std::string hex(std::span<const unsigned char> bytes, const char* digits) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xF]);
    }
    return out;
}
} // namespace

std::string normalize_target(std::string_view target) {
    std::string out;
    out.reserve(target.size());
    for (char c : target) {
        switch (c) {
        case '[':
            out += "%5B";
            break;
        case ']':
            out += "%5D";
            break;
        case ' ':
            out += "%20";
            break;
        case '"':
            out += "%22";
            break;
        case '|':
            out += "%7C";
            break;
        default:
            out.push_back(c);
        }
    }
    return out;
}

std::string hex_lower(std::span<const unsigned char> bytes) {
    return hex(bytes, "0123456789abcdef");
}
std::string hex_upper(std::span<const unsigned char> bytes) {
    return hex(bytes, "0123456789ABCDEF");
}

std::string format_date_time(sys_time t) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
    if (secs > t)
        secs -= std::chrono::seconds(1);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
    std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[96]; // room for any int in every field, so the format can never truncate
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(millis));
    return buf;
}

std::string random_token() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("simulator: the system random generator failed");
    return hex_lower(bytes);
}

std::string random_uuid() {
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        throw std::runtime_error("simulator: the system random generator failed");
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    std::string h = hex_lower(b);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
           "-" + h.substr(20);
}

std::string id_generator::uuid() {
    unsigned char b[16];
    std::uint64_t hi = rng_(), lo = rng_();
    for (int i = 0; i < 8; ++i) {
        b[i] = static_cast<unsigned char>(hi >> (56 - 8 * i));
        b[8 + i] = static_cast<unsigned char>(lo >> (56 - 8 * i));
    }
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    std::string h = hex_upper(b);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
           "-" + h.substr(20);
}

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t salt) {
    // splitmix64 finaliser over the combination: nearby seeds give unrelated streams.
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (salt + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

digest::digest(algorithm a) : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ ||
        EVP_DigestInit_ex(ctx_.get(), a == algorithm::md5 ? EVP_md5() : EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("simulator: cannot initialise a digest");
}

digest::digest(const digest& other) : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_MD_CTX_copy_ex(ctx_.get(), other.ctx_.get()) != 1)
        throw std::runtime_error("simulator: cannot copy a digest");
}

digest& digest::operator=(const digest& other) {
    if (this != &other) {
        digest copy(other);
        *this = std::move(copy);
    }
    return *this;
}

void digest::update(std::span<const unsigned char> bytes) {
    if (!bytes.empty())
        EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
}

std::array<unsigned char, 32> digest::bytes(std::size_t& length) const {
    digest copy(*this);
    std::array<unsigned char, 32> out{};
    unsigned int n = 0;
    EVP_DigestFinal_ex(copy.ctx_.get(), out.data(), &n);
    length = n;
    return out;
}

std::string digest::hex() const {
    std::size_t n = 0;
    auto b = bytes(n);
    return hex_lower(std::span<const unsigned char>(b.data(), n));
}

} // namespace ascpp::sim
