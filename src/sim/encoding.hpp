// Small encodings the simulator needs: hex (digests), RFC 3339 dates, random identifiers and
// unguessable tokens, and an RAII OpenSSL digest context that can be copied.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>

namespace ascpp::sim {

using sys_time = std::chrono::system_clock::time_point;

// A request target with the characters clients commonly leave unencoded (the brackets of
// filter[...], spaces, quotes) percent-encoded, so it parses as a URI.
std::string normalize_target(std::string_view target);

std::string hex_lower(std::span<const unsigned char> bytes);
std::string hex_upper(std::span<const unsigned char> bytes);

// "2025-01-31T12:00:00.000Z"
std::string format_date_time(sys_time t);

// 32 bytes from the OpenSSL CSPRNG as lowercase hex: for capability URLs that must not be
// guessable (upload part tokens), independent of the simulator's seed.
std::string random_token();
// A random version-4 UUID in lowercase (issuer ids, request ids).
std::string random_uuid();

// Seeded generator for everything that should repeat from run to run with the same seed
// (resource ids, the shuffled order of upload operations).
class id_generator {
public:
    explicit id_generator(std::uint64_t seed) : rng_(seed) {}
    void reseed(std::uint64_t seed) { rng_.seed(seed); }
    // A version-4-shaped UUID in uppercase, like Apple's resource ids.
    std::string uuid();
    std::uint64_t next() { return rng_(); }
    std::mt19937_64& engine() { return rng_; }

private:
    std::mt19937_64 rng_;
};

// Mixes a seed with a salt so that independent streams (one per fault rule) do not correlate.
std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t salt);

struct evp_md_ctx_deleter {
    void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};

// An incremental hash (MD5 or SHA-256) that can be copied, so a running whole-file digest can be
// extended tentatively and rolled back when a part's body does not arrive completely.
class digest {
public:
    enum class algorithm { md5, sha256 };
    explicit digest(algorithm a);
    digest(const digest& other);
    digest& operator=(const digest& other);
    digest(digest&&) noexcept = default;
    digest& operator=(digest&&) noexcept = default;

    void update(std::span<const unsigned char> bytes);
    // Finishes a copy, so the running state stays usable.
    std::string hex() const;
    std::array<unsigned char, 32> bytes(std::size_t& length) const;

private:
    std::unique_ptr<EVP_MD_CTX, evp_md_ctx_deleter> ctx_;
};

} // namespace ascpp::sim
