// Internal to ascpp::http: a request body sent over TLS with one socket write per chunk instead of
// one per record.
//
// asio::ssl::stream moves every TLS record (at most 16 KiB) through a 17 KiB BIO pair and then its
// own buffer before a socket write of its own: per GiB that is 65,536 writes, 65,536 asynchronous
// operations and two copies of the ciphertext. While a body is sent nothing is read, so the
// connection's SSL object can write its records straight into a buffer of ours for the duration:
// a 256 KiB chunk becomes 16 records, one copy and one socket write. The handshake, the headers
// and the response still go through asio's stream, which finds its BIO pair as it left it.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <span>
#include <vector>

namespace ascpp::http::detail {

class tls_bulk_writer {
public:
    // Swaps in the write BIO. The stream's own pending output must have been flushed (every asio
    // write completes only once it is). Throws transport_error (tls_failed) if OpenSSL cannot.
    explicit tls_bulk_writer(SSL* ssl);
    // Puts the stream's write BIO back, whatever happened meanwhile.
    ~tls_bulk_writer();
    tls_bulk_writer(const tls_bulk_writer&) = delete;
    tls_bulk_writer& operator=(const tls_bulk_writer&) = delete;

    // Encrypts `plain` into records appended to records(). Throws transport_error (tls_failed).
    void encrypt(std::span<const unsigned char> plain);
    // The records not yet sent; the caller writes them to the socket and then calls clear().
    std::span<const unsigned char> records() const { return records_; }
    void clear() { records_.clear(); }

private:
    SSL* ssl_;
    BIO* stream_bio_; // the stream's write BIO, held while ours is in place
    std::vector<unsigned char> records_;
};

} // namespace ascpp::http::detail
