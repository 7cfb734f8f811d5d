// Incremental MD5 and SHA-256 over OpenSSL's EVP interface, and the checksums a commit carries.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::upload {

enum class hash_algorithm { md5, sha_256 };

// The wire name of the algorithm in Checksums ("MD5", "SHA_256").
std::string_view to_string(hash_algorithm a) noexcept;

// A finished digest: up to 32 bytes (SHA-256), `size` of them meaningful.
struct digest {
    std::array<unsigned char, 32> bytes{};
    std::size_t size = 0;

    std::span<const unsigned char> view() const noexcept { return {bytes.data(), size}; }
    // Lowercase hexadecimal, as the commit sends it.
    std::string hex() const;
    friend bool operator==(const digest& a, const digest& b) noexcept {
        return a.size == b.size && a.bytes == b.bytes;
    }
    friend std::ostream& operator<<(std::ostream& os, const digest& d);
};

// Parses lowercase or uppercase hex (optionally wrapped in double quotes, as an ETag is) into a
// digest of `expected_size` bytes; an empty digest (size 0) when it is not such a value.
digest digest_from_hex(std::string_view hex, std::size_t expected_size);

// Incremental hash. Not thread-safe; movable.
class hasher {
public:
    explicit hasher(hash_algorithm a);
    ~hasher();
    hasher(hasher&&) noexcept;
    hasher& operator=(hasher&&) noexcept;

    void update(std::span<const unsigned char> bytes);
    void update(std::string_view bytes);
    // The digest of everything given since construction or the last reset(); resets.
    digest finish();
    void reset();
    hash_algorithm algorithm() const noexcept { return algorithm_; }

private:
    struct ctx_deleter {
        void operator()(void* p) const noexcept;
    };
    hash_algorithm algorithm_;
    std::unique_ptr<void, ctx_deleter> ctx_;
};

// One-shot helpers.
digest md5_of(std::span<const unsigned char> bytes);
digest md5_of(std::string_view bytes);
digest sha256_of(std::string_view bytes);

// `sourceFileChecksums.composite` (Apple does not define it; the simulator assumes): MD5 over the
// concatenated binary MD5 digests of the parts, in partNumber order. S3 multipart uploads compute
// their ETag the same way; the result is sent as bare lowercase hex, without the `-<parts>` suffix.
digest composite_md5(std::span<const digest> part_md5s_in_part_order);

} // namespace ascpp::upload
