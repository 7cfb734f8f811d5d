#include "../detail/read_buffer.hpp"
#include "file_hash_pass.hpp"
#include "read_only_file.hpp"

#include <ascpp/upload/hasher.hpp>

#include <ascpp/detail/blocking_pool.hpp>
#include <ascpp/upload/upload_error.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <vector>

namespace ascpp::upload {

std::string_view to_string(hash_algorithm a) noexcept {
    return a == hash_algorithm::md5 ? "MD5" : "SHA_256";
}

std::string digest::hex() const {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(digits[bytes[i] >> 4]);
        out.push_back(digits[bytes[i] & 0x0f]);
    }
    return out;
}

std::ostream& operator<<(std::ostream& os, const digest& d) {
    return os << d.hex();
}

digest digest_from_hex(std::string_view hex, std::size_t expected_size) {
    if (hex.size() >= 2 && hex.front() == '"' && hex.back() == '"')
        hex = hex.substr(1, hex.size() - 2);
    digest d;
    if (expected_size > d.bytes.size() || hex.size() != expected_size * 2)
        return {};
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < expected_size; ++i) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return {};
        d.bytes[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    d.size = expected_size;
    return d;
}

void hasher::ctx_deleter::operator()(void* p) const noexcept {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(p));
}

hasher::hasher(hash_algorithm a) : algorithm_(a), ctx_(EVP_MD_CTX_new()) {
    if (!ctx_)
        throw std::bad_alloc();
    reset();
}

hasher::~hasher() = default;
hasher::hasher(hasher&&) noexcept = default;
hasher& hasher::operator=(hasher&&) noexcept = default;

void hasher::reset() {
    const EVP_MD* md = algorithm_ == hash_algorithm::md5 ? EVP_md5() : EVP_sha256();
    if (EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_.get()), md, nullptr) != 1)
        throw std::runtime_error("OpenSSL: digest initialisation failed");
}

void hasher::update(std::span<const unsigned char> bytes) {
    if (!bytes.empty() &&
        EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_.get()), bytes.data(), bytes.size()) != 1)
        throw std::runtime_error("OpenSSL: digest update failed");
}

void hasher::update(std::string_view bytes) {
    update({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
}

digest hasher::finish() {
    digest d;
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_.get()), d.bytes.data(), &n) != 1)
        throw std::runtime_error("OpenSSL: digest finalisation failed");
    d.size = n;
    reset();
    return d;
}

digest md5_of(std::span<const unsigned char> bytes) {
    hasher h(hash_algorithm::md5);
    h.update(bytes);
    return h.finish();
}

digest md5_of(std::string_view bytes) {
    hasher h(hash_algorithm::md5);
    h.update(bytes);
    return h.finish();
}

digest sha256_of(std::string_view bytes) {
    hasher h(hash_algorithm::sha_256);
    h.update(bytes);
    return h.finish();
}

digest composite_md5(std::span<const digest> part_md5s_in_part_order) {
    hasher h(hash_algorithm::md5);
    for (const auto& d : part_md5s_in_part_order)
        h.update(d.view());
    return h.finish();
}

// ---------------------------------------------------------------------------------------------

namespace detail {

file_hash_pass::file_hash_pass(std::filesystem::path path, std::uint64_t size,
                               hash_algorithm algorithm, std::uint64_t max_lead,
                               std::size_t block_size, std::shared_ptr<read_shelf> shelf)
    : path_(std::move(path)), size_(size), algorithm_(algorithm),
      max_lead_(std::max<std::uint64_t>(max_lead, block_size)), block_size_(block_size),
      shelf_(std::move(shelf)), wake_(ascpp::detail::blocking_pool()) {}

bool file_hash_pass::may_read_at(std::uint64_t pos) const noexcept {
    return pos < frontier_.load() + max_lead_;
}

void file_hash_pass::set_frontier(std::uint64_t offset) {
    auto cur = frontier_.load();
    while (offset > cur && !frontier_.compare_exchange_weak(cur, offset)) {
    }
    wake_.notify_all();
}

asio::awaitable<digest> file_hash_pass::run() {
    read_only_file file(path_);
    file.advise_sequential();

    hasher h(algorithm_);
    // Made when the pass first reads the file itself: with a shelf it may never need to.
    ascpp::detail::read_buffer buffer;
    std::uint64_t pos = 0;
    auto ex = co_await asio::this_coro::executor;
    constexpr std::size_t yield_every = 2 * 1024 * 1024;
    std::size_t since_yield = 0;
    while (pos < size_) {
        std::uint64_t read_until = size_;
        if (shelf_) {
            auto step = shelf_->next(pos);
            if (step.hold) {
                h.update(step.bytes);
                pos += step.bytes.size();
                position_.store(pos);
                step.hold.reset(); // back to the free list before the pass yields
                // A turn takes as much as a row of the part hasher's lanes brings: yielding after
                // every chunk, the pass fell behind it on a one-thread pool, the shelf filled and
                // the pass read 55 % of the file itself (512 MiB publish, 2026-12-01).
                if ((since_yield += step.bytes.size()) >= yield_every) {
                    since_yield = 0;
                    co_await asio::post(ex, asio::use_awaitable);
                }
                continue;
            }
            if (step.wait) {
                // The part hasher is reading these bytes: they come off the shelf.
                // Trivial captures only: GCC 12 destroys a lambda temporary's captures in a
                // co_await expression twice.
                read_shelf* shelf = shelf_.get();
                co_await shelf->arrivals().async_wait_unless(
                    [shelf, pos] { return shelf->ready(pos); }, asio::use_awaitable);
                continue;
            }
            if (step.read_until)
                read_until = std::min(read_until, step.read_until);
        }
        if (!may_read_at(pos)) {
            // Too far ahead of the sends: park until the frontier moves (or cancellation).
            co_await wake_.async_wait_unless([this, pos] { return may_read_at(pos); },
                                             asio::use_awaitable);
            continue;
        }
        std::uint64_t limit = std::min(read_until, frontier_.load() + max_lead_);
        std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(block_size_, limit - pos));
        if (!buffer)
            buffer = ascpp::detail::make_read_buffer(block_size_);
        std::span<unsigned char> block(buffer.get(), want);
        file.read_at(block, pos);
        h.update(std::span<const unsigned char>(block));
        read_ += want;
        pos += want;
        position_.store(pos);
        // Let the other passes on the pool have a turn between blocks (and notice cancellation).
        co_await asio::post(ex, asio::use_awaitable);
    }
    co_return h.finish();
}

} // namespace detail
} // namespace ascpp::upload
