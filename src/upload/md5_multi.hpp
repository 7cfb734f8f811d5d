// MD5 of up to eight independent byte streams at once: the parts of an upload are hashed side by
// side in the eight 32-bit lanes of AVX2 registers, which one serial MD5 cannot use (each MD5 step
// depends on the one before). Internal to the upload engine.
#pragma once

#include <ascpp/upload/hasher.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ascpp::upload::detail {

class md5_multi {
public:
    static constexpr std::size_t lanes = 8;

    // `scalar` forces the portable kernel even where AVX2 is available, so tests and the fuzz
    // target check both paths on one machine.
    enum class kernel { automatic, scalar };

    explicit md5_multi(kernel k = kernel::automatic) noexcept;

    // Feeds lane i the bytes chunks[i] (chunks.size() <= lanes); an empty span leaves that lane as
    // it is. Fastest when the fed lanes get equal chunks of whole 64-byte blocks, but any lengths
    // are hashed correctly. The speed comes from feeding several lanes in one call: the blocks
    // only one lane has are hashed serially, about as fast as OpenSSL's MD5.
    void update(std::span<const std::span<const unsigned char>> chunks);
    // One lane: always serial.
    void update(std::size_t lane, std::span<const unsigned char> bytes);

    // The MD5 of what the lane was fed since its last finish() or reset(); resets the lane.
    digest finish(std::size_t lane);
    void reset(std::size_t lane);

    // Whether this CPU runs the AVX2 kernel (what kernel::automatic picks).
    static bool accelerated() noexcept;
    // Whether this object uses the AVX2 kernel.
    bool vectorised() const noexcept { return vectorised_; }

private:
    struct lane_state {
        std::array<std::uint32_t, 4> h;
        std::uint64_t length = 0; // bytes fed since the last reset
        std::array<unsigned char, 64> pending{};
        std::size_t pending_size = 0;
    };

    std::array<lane_state, lanes> lanes_;
    bool vectorised_;
};

// The kernels behind md5_multi, exposed for its tests and benchmark.

// Runs the MD5 compression function over `blocks` consecutive 64-byte blocks of one stream.
void md5_blocks_scalar(std::array<std::uint32_t, 4>& h, const unsigned char* data,
                       std::size_t blocks) noexcept;

// The state of eight streams, one per 32-bit lane: a[i] is lane i's first state word.
struct md5_x8_state {
    alignas(32) std::uint32_t a[8];
    alignas(32) std::uint32_t b[8];
    alignas(32) std::uint32_t c[8];
    alignas(32) std::uint32_t d[8];
};

// Runs `blocks` 64-byte blocks of each of eight streams; data[i] is lane i's first block. A lane
// whose bit in `active` is clear reads its one block at data[i] over and over, so an idle lane
// needs only 64 readable bytes; its state comes out changed and must be discarded.
// Requires AVX2 (md5_multi::accelerated()).
void md5_blocks_x8_avx2(md5_x8_state& s, const unsigned char* const data[8], unsigned active,
                        std::size_t blocks) noexcept;

} // namespace ascpp::upload::detail
