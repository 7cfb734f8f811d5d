#include "tls_bulk_write.hpp"

#include <ascpp/http/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>

#include <string>

namespace ascpp::http::detail {

namespace {

int append(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
    auto* records = static_cast<std::vector<unsigned char>*>(BIO_get_data(bio));
    const auto* bytes = reinterpret_cast<const unsigned char*>(data);
    records->insert(records->end(), bytes, bytes + size);
    *written = size;
    return 1;
}

long control(BIO*, int command, long, void*) {
    // A flush finds nothing held back: every record is in the buffer the moment it is written.
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

const BIO_METHOD* records_method() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ascpp records");
        if (m && (BIO_meth_set_write_ex(m, append) != 1 || BIO_meth_set_ctrl(m, control) != 1 ||
                  BIO_meth_set_create(m, create) != 1)) {
            BIO_meth_free(m);
            m = nullptr;
        }
        return m;
    }();
    return method;
}

std::string openssl_reason() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "no reason given";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

} // namespace

tls_bulk_writer::tls_bulk_writer(SSL* ssl) : ssl_(ssl), stream_bio_(SSL_get_wbio(ssl)) {
    const BIO_METHOD* method = records_method();
    if (!method || !stream_bio_)
        throw transport_error(errc::tls_failed, "TLS write: cannot set up the record buffer");
    BIO* ours = BIO_new(method);
    if (!ours)
        throw transport_error(errc::tls_failed, "TLS write: " + openssl_reason());
    BIO_set_data(ours, &records_);
    // SSL_set0_wbio releases the SSL's reference to the stream's BIO; ours keeps it alive (it is
    // also the read BIO, but that is no promise to rely on) until the destructor hands it back.
    BIO_up_ref(stream_bio_);
    SSL_set0_wbio(ssl_, ours);
}

tls_bulk_writer::~tls_bulk_writer() {
    SSL_set0_wbio(ssl_, stream_bio_); // takes our reference back and frees our BIO
}

void tls_bulk_writer::encrypt(std::span<const unsigned char> plain) {
    // TLS 1.3 adds 22 bytes to a record of up to 16 KiB, TLS 1.2 with GCM 29: room for both.
    records_.reserve(records_.size() + plain.size() + (plain.size() / 16384 + 1) * 64);
    std::size_t done = 0;
    while (done < plain.size()) {
        std::size_t n = 0;
        // The stream sets SSL_MODE_ENABLE_PARTIAL_WRITE, so a call may take one record's worth.
        if (SSL_write_ex(ssl_, plain.data() + done, plain.size() - done, &n) != 1)
            throw transport_error(errc::tls_failed, "TLS write: " + openssl_reason());
        done += n;
    }
}

} // namespace ascpp::http::detail
