// MD5 of up to sixteen independent byte streams at once: the parts of an upload are hashed side by
// side in the 32-bit lanes of AVX2 registers (with AVX-512VL's instructions where the CPU has
// them), eight lanes a register, which one serial MD5 cannot use (each MD5 step depends on the one
// before); two registers' steps interleave, so each waits less on its previous step. Internal to
// the upload engine.
#pragma once

#include <ascpp/upload/hasher.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ascpp::upload::detail {

struct md5_x8_state;

class md5_multi {
public:
    static constexpr std::size_t lanes = 16;

    // `automatic` is the best this CPU runs. `avx2` forces the AVX2 kernel where AVX-512VL is
    // also available, `scalar` the portable one, so tests and the fuzz target check every path on
    // one machine; a kernel the CPU lacks falls back to the next one down.
    enum class kernel { automatic, avx2, scalar };

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

    // Whether this CPU runs a vector kernel (kernel::automatic picks one).
    static bool accelerated() noexcept;
    // Whether this object uses a vector kernel, and its name: "avx512vl", "avx2" or "scalar".
    bool vectorised() const noexcept { return blocks_x8_ != nullptr; }
    const char* kernel_name() const noexcept;

private:
    struct lane_state {
        std::array<std::uint32_t, 4> h;
        std::uint64_t length = 0; // bytes fed since the last reset
        std::array<unsigned char, 64> pending{};
        std::size_t pending_size = 0;
    };

    using blocks_x8_fn = void (*)(md5_x8_state&, const unsigned char* const[8], unsigned,
                                  std::size_t) noexcept;
    using blocks_x16_fn = void (*)(md5_x8_state (&)[2], const unsigned char* const[16], unsigned,
                                   std::size_t) noexcept;

    std::array<lane_state, lanes> lanes_;
    blocks_x8_fn blocks_x8_ = nullptr; // null: the scalar kernel only
    blocks_x16_fn blocks_x16_ = nullptr;
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
// Requires AVX2 (md5_multi::accelerated()); the _avx512vl ones AVX-512VL (md5_multi_avx512vl()).
void md5_blocks_x8_avx2(md5_x8_state& s, const unsigned char* const data[8], unsigned active,
                        std::size_t blocks) noexcept;
void md5_blocks_x8_avx512vl(md5_x8_state& s, const unsigned char* const data[8], unsigned active,
                            std::size_t blocks) noexcept;
// The same for sixteen streams in two groups of eight: s[g] and data[8g..8g+7], bit 8g+i of
// `active` for lane i of group g. Costs little more than eight.
void md5_blocks_x16_avx2(md5_x8_state (&s)[2], const unsigned char* const data[16], unsigned active,
                         std::size_t blocks) noexcept;
void md5_blocks_x16_avx512vl(md5_x8_state (&s)[2], const unsigned char* const data[16],
                             unsigned active, std::size_t blocks) noexcept;

// Whether this CPU (and its OS) runs md5_blocks_x8_avx512vl.
bool md5_multi_avx512vl() noexcept;

} // namespace ascpp::upload::detail
