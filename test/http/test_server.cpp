#include "test_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <future>
#include <map>
#include <stdexcept>
#include <thread>

namespace ascpp::test {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kept_body_limit = 1024 * 1024;
constexpr std::size_t read_chunk = 64 * 1024;

class sha256 {
public:
    sha256() : ctx_(EVP_MD_CTX_new()) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
            throw std::runtime_error("sha256 init failed");
    }
    ~sha256() { EVP_MD_CTX_free(ctx_); }
    sha256(const sha256&) = delete;
    sha256& operator=(const sha256&) = delete;
    void update(const void* data, std::size_t size) { EVP_DigestUpdate(ctx_, data, size); }
    std::string hex() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        EVP_DigestFinal_ex(ctx_, digest, &size);
        static const char* digits = "0123456789abcdef";
        std::string out;
        for (unsigned i = 0; i < size; ++i) {
            out += digits[digest[i] >> 4];
            out += digits[digest[i] & 0xf];
        }
        return out;
    }

private:
    EVP_MD_CTX* ctx_;
};

} // namespace

std::string sha256_hex(const void* data, std::size_t size) {
    sha256 h;
    h.update(data, size);
    return h.hex();
}

std::string served_request::header(const std::string& name) const {
    for (const auto& [key, value] : headers)
        if (beast::iequals(key, name))
            return value;
    return {};
}

struct test_server::state {
    explicit state(test_server_options o) : options(std::move(o)), acceptor(ioc) {}

    test_server_options options;
    asio::io_context ioc;
    std::optional<ssl::context> tls;
    tcp::acceptor acceptor;
    std::uint16_t port = 0;
    std::thread thread;

    mutable std::mutex mutex; // guards h and log
    handler h;
    std::vector<served_request> log;

    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> open{0};
    std::atomic<std::uint64_t> max_open{0};

    // Server thread only.
    struct live_connection {
        tcp::socket* socket;
        bool idle;
        bool close_when_idle = false;
    };
    std::map<std::uint64_t, live_connection> live;
    bool stopping = false;

    asio::awaitable<void> accept_loop() {
        for (;;) {
            error_code ec;
            tcp::socket socket =
                co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec || stopping)
                co_return;
            asio::co_spawn(ioc, serve(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> serve(tcp::socket socket) {
        const std::uint64_t id = ++accepted;
        const std::uint64_t now_open = ++open;
        std::uint64_t seen = max_open.load();
        while (now_open > seen && !max_open.compare_exchange_weak(seen, now_open)) {
        }
        if (tls) {
            ssl::stream<tcp::socket> stream(std::move(socket), *tls);
            live[id] = {&stream.next_layer(), true};
            error_code ec;
            co_await stream.async_handshake(ssl::stream_base::server,
                                            asio::redirect_error(asio::use_awaitable, ec));
            if (!ec)
                co_await session(stream, id);
            error_code ignored;
            stream.next_layer().close(ignored);
        } else {
            live[id] = {&socket, true};
            co_await session(socket, id);
            error_code ignored;
            socket.close(ignored);
        }
        live.erase(id);
        --open;
    }

    template <class Stream>
    asio::awaitable<void> session(Stream& stream, std::uint64_t id) {
        beast::flat_buffer buffer;
        std::vector<char> chunk(read_chunk);
        for (std::uint64_t n = 1; !stopping; ++n) {
            live[id].idle = true;
            if (live[id].close_when_idle)
                co_return;
            bhttp::request_parser<bhttp::buffer_body> parser;
            parser.body_limit(std::numeric_limits<std::uint64_t>::max());
            error_code ec;
            co_await bhttp::async_read_header(stream, buffer, parser,
                                              asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                co_return;
            live[id].idle = false;

            served_request r;
            r.connection = id;
            r.request_on_connection = n;
            r.method = std::string(parser.get().method_string());
            r.target = std::string(parser.get().target());
            for (const auto& field : parser.get())
                r.headers.emplace_back(std::string(field.name_string()),
                                       std::string(field.value()));
            sha256 digest;
            while (!parser.is_done()) {
                parser.get().body().data = chunk.data();
                parser.get().body().size = chunk.size();
                co_await bhttp::async_read(stream, buffer, parser,
                                           asio::redirect_error(asio::use_awaitable, ec));
                if (ec == bhttp::error::need_buffer)
                    ec = {};
                if (ec)
                    co_return;
                const std::size_t got = chunk.size() - parser.get().body().size;
                digest.update(chunk.data(), got);
                if (r.body_size + got <= kept_body_limit)
                    r.body.append(chunk.data(), got);
                r.body_size += got;
            }
            if (r.body_size > kept_body_limit)
                r.body.clear();
            r.body_sha256 = digest.hex();
            const bool client_keep_alive = parser.get().keep_alive();
            const bool head = parser.get().method() == bhttp::verb::head;

            handler current;
            {
                std::lock_guard lock(mutex);
                log.push_back(r);
                current = h;
            }
            reply rep = current ? current(r) : reply{.status = 200, .body = "ok"};

            if (rep.stall) {
                // Hold the connection until the client closes it or the server stops.
                char byte;
                co_await stream.async_read_some(asio::buffer(&byte, 1),
                                                asio::redirect_error(asio::use_awaitable, ec));
                co_return;
            }
            if (rep.no_response)
                co_return;
            if (rep.raw) {
                co_await asio::async_write(stream, asio::buffer(*rep.raw),
                                           asio::redirect_error(asio::use_awaitable, ec));
                co_return;
            }
            if (rep.chunked_filler > 0) {
                std::string head_text = "HTTP/1.1 " + std::to_string(rep.status) +
                                        " OK\r\nTransfer-Encoding: chunked\r\n\r\n";
                co_await asio::async_write(stream, asio::buffer(head_text),
                                           asio::redirect_error(asio::use_awaitable, ec));
                std::string filler(read_chunk, 'x');
                char size_line[32];
                std::snprintf(size_line, sizeof size_line, "%zx\r\n", filler.size());
                std::string piece = size_line + filler + "\r\n";
                for (std::uint64_t sent = 0; !ec && sent < rep.chunked_filler;
                     sent += filler.size())
                    co_await asio::async_write(stream, asio::buffer(piece),
                                               asio::redirect_error(asio::use_awaitable, ec));
                if (!ec)
                    co_await asio::async_write(stream, asio::buffer(std::string_view("0\r\n\r\n")),
                                               asio::redirect_error(asio::use_awaitable, ec));
                co_return;
            }

            bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(rep.status), 11};
            for (const auto& [name, value] : rep.headers)
                res.insert(name, value);
            res.keep_alive(client_keep_alive);
            if (head) {
                res.content_length(rep.body.size());
                bhttp::response_serializer<bhttp::string_body> serializer(res);
                co_await bhttp::async_write_header(stream, serializer,
                                                   asio::redirect_error(asio::use_awaitable, ec));
            } else {
                res.body() = std::move(rep.body);
                res.prepare_payload();
                co_await bhttp::async_write(stream, res,
                                            asio::redirect_error(asio::use_awaitable, ec));
            }
            if (ec || rep.close_after || !client_keep_alive)
                co_return;
        }
    }

    // Idle only: a connection still finishing a response (its client may have read it already)
    // closes as soon as it is back between requests, as a server's idle timeout would.
    void close_connections(bool idle_only) {
        for (auto& [id, c] : live) {
            if (idle_only && !c.idle) {
                c.close_when_idle = true;
                continue;
            }
            error_code ignored;
            c.socket->shutdown(tcp::socket::shutdown_both, ignored);
            c.socket->close(ignored);
        }
    }
};

test_server::test_server(test_server_options options, handler h)
    : state_(std::make_shared<state>(std::move(options))) {
    auto& st = *state_;
    st.h = std::move(h);
    if (st.options.tls) {
        st.tls.emplace(ssl::context::tls_server);
        st.tls->use_certificate_chain(asio::buffer(st.options.certificate_pem));
        st.tls->use_private_key(asio::buffer(st.options.private_key_pem), ssl::context::pem);
    }
    tcp::endpoint endpoint(asio::ip::make_address(st.options.address), 0);
    st.acceptor.open(endpoint.protocol());
    st.acceptor.set_option(tcp::acceptor::reuse_address(true));
    st.acceptor.bind(endpoint);
    st.acceptor.listen(asio::socket_base::max_listen_connections);
    st.port = st.acceptor.local_endpoint().port();
    asio::co_spawn(st.ioc, st.accept_loop(), asio::detached);
    st.thread = std::thread([&st] { st.ioc.run(); });
}

test_server::~test_server() {
    auto& st = *state_;
    asio::post(st.ioc, [&st] {
        st.stopping = true;
        error_code ignored;
        st.acceptor.close(ignored);
        st.close_connections(false);
    });
    st.thread.join();
}

std::uint16_t test_server::port() const {
    return state_->port;
}

std::string test_server::url(const std::string& path) const {
    return url_as(state_->options.address, path);
}

std::string test_server::url_as(const std::string& host, const std::string& path) const {
    const bool v6 = host.find(':') != std::string::npos;
    return std::string(state_->options.tls ? "https://" : "http://") + (v6 ? "[" : "") + host +
           (v6 ? "]" : "") + ":" + std::to_string(state_->port) + path;
}

void test_server::set_handler(handler h) {
    std::lock_guard lock(state_->mutex);
    state_->h = std::move(h);
}

void test_server::close_idle_connections() {
    std::promise<void> done;
    asio::post(state_->ioc, [this, &done] {
        state_->close_connections(true);
        done.set_value();
    });
    done.get_future().wait();
}

std::vector<served_request> test_server::requests() const {
    std::lock_guard lock(state_->mutex);
    return state_->log;
}

std::uint64_t test_server::connections_accepted() const {
    return state_->accepted.load();
}
std::uint64_t test_server::connections_open() const {
    return state_->open.load();
}
std::uint64_t test_server::max_connections_open() const {
    return state_->max_open.load();
}

} // namespace ascpp::test
