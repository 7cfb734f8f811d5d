// Fuzz target: md5_multi against OpenSSL's MD5. The input is a program of operations (feed some
// lanes chunks of given lengths, feed one lane, finish or reset a lane); the same program runs on
// each kernel (AVX-512VL, AVX2, scalar; where the CPU lacks one, its fallback), and every digest
// finished must equal OpenSSL's MD5 of the bytes that lane was fed.
#include "../../src/upload/md5_multi.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

namespace {

using ascpp::upload::digest;
using ascpp::upload::detail::md5_multi;

constexpr std::size_t lanes = md5_multi::lanes;
// Bounds the work of one input: a lane is finished once it holds this much.
constexpr std::size_t max_lane_bytes = 1 << 20;

digest openssl_md5(const std::vector<unsigned char>& bytes) {
    digest d;
    unsigned size = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), d.bytes.data(), &size, EVP_md5(), nullptr) != 1)
        std::abort();
    d.size = size;
    return d;
}

// Reads the program; past its end every read is 0.
struct reader {
    const std::uint8_t* data;
    std::size_t size;
    std::size_t at = 0;

    bool done() const { return at >= size; }
    std::uint8_t byte() { return at < size ? data[at++] : 0; }
    // Lengths near block boundaries are the interesting ones, so one byte picks a number of
    // blocks and another the bytes beyond them.
    std::size_t length() {
        const std::uint8_t blocks = byte(), extra = byte();
        return (blocks & 0x3f) * std::size_t{64} + (extra & 0x80 ? extra & 0x7f : 0);
    }
};

// The bytes fed are not part of the input (the lengths are): a counter-based generator keeps
// inputs short while lanes get megabytes.
struct filler {
    std::uint64_t state = 0x9e3779b97f4a7c15;
    unsigned char next() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return static_cast<unsigned char>(state >> 32);
    }
    std::vector<unsigned char> bytes(std::size_t n) {
        std::vector<unsigned char> b(n);
        for (auto& c : b)
            c = next();
        return b;
    }
};

struct subject {
    md5_multi hash;
    std::array<std::vector<unsigned char>, lanes> fed;

    void check(std::size_t lane) {
        if (hash.finish(lane) != openssl_md5(fed[lane]))
            std::abort();
        fed[lane].clear();
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::array<subject, 3> subjects = {subject{md5_multi(md5_multi::kernel::automatic), {}},
                                       subject{md5_multi(md5_multi::kernel::avx2), {}},
                                       subject{md5_multi(md5_multi::kernel::scalar), {}}};
    reader in{data, size};
    filler fill;
    while (!in.done()) {
        const std::uint8_t op = in.byte();
        const std::size_t lane = op & 15;
        switch (op >> 4 & 3) {
        case 0: { // some lanes, one call: a two-byte mask, then a length for each lane in it
            const unsigned mask = in.byte() | static_cast<unsigned>(in.byte()) << 8;
            std::array<std::vector<unsigned char>, lanes> chunks;
            std::array<std::span<const unsigned char>, lanes> spans;
            std::size_t count = 0;
            for (std::size_t i = 0; i < lanes; ++i)
                if (mask >> i & 1) {
                    chunks[i] = fill.bytes(in.length());
                    spans[i] = chunks[i];
                    count = i + 1;
                }
            for (auto& s : subjects) {
                s.hash.update(std::span(spans.data(), count));
                for (std::size_t i = 0; i < count; ++i)
                    s.fed[i].insert(s.fed[i].end(), chunks[i].begin(), chunks[i].end());
            }
            break;
        }
        case 1: { // one lane
            const auto chunk = fill.bytes(in.length());
            for (auto& s : subjects) {
                s.hash.update(lane, chunk);
                s.fed[lane].insert(s.fed[lane].end(), chunk.begin(), chunk.end());
            }
            break;
        }
        case 2:
            for (auto& s : subjects)
                s.check(lane);
            break;
        default:
            for (auto& s : subjects) {
                s.hash.reset(lane);
                s.fed[lane].clear();
            }
        }
        for (auto& s : subjects)
            for (std::size_t i = 0; i < lanes; ++i)
                if (s.fed[i].size() > max_lane_bytes)
                    s.check(i);
    }
    for (auto& s : subjects)
        for (std::size_t i = 0; i < lanes; ++i)
            s.check(i);
    return 0;
}
