#include <ascpp/sim/simulator.hpp>

#include "control_api.hpp"
#include "http_server.hpp"
#include "webhooks.hpp"

#include <ascpp/sim/certificate_authority.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ssl/context.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ascpp::sim {

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in)
        throw std::runtime_error("simulator: cannot read " + p.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const std::filesystem::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out)
        throw std::runtime_error("simulator: cannot write " + p.string());
}

void configure_tls(asio::ssl::context& ctx, std::string_view chain_pem, std::string_view key_pem) {
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    ctx.use_certificate_chain(asio::buffer(chain_pem.data(), chain_pem.size()));
    ctx.use_private_key(asio::buffer(key_pem.data(), key_pem.size()), asio::ssl::context::pem);
}

// Binds `address:port`; nullopt when the address cannot be bound (say 127.0.0.2 on a system
// whose loopback is only 127.0.0.1).
std::optional<tcp::acceptor> try_listen(asio::io_context& io, const std::string& address,
                                        std::uint16_t port, boost::system::error_code& ec) {
    // An IPv6 address as written in a URL ("[::1]") is taken too.
    const bool bracketed = address.size() > 2 && address.front() == '[' && address.back() == ']';
    auto ip =
        asio::ip::make_address(bracketed ? address.substr(1, address.size() - 2) : address, ec);
    if (ec)
        return std::nullopt;
    tcp::endpoint ep(ip, port);
    tcp::acceptor a(io);
    a.open(ep.protocol(), ec);
    if (!ec)
        a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
        a.bind(ep, ec);
    if (!ec)
        a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return std::nullopt;
    return a;
}

std::string origin_of(const tcp::acceptor& a) {
    auto ep = a.local_endpoint();
    auto ip = ep.address();
    std::string host;
    if (ip.is_unspecified())
        host = ip.is_v6() ? "[::1]" : "127.0.0.1";
    else
        host = ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string();
    return "https://" + host + ":" + std::to_string(ep.port());
}

std::vector<std::string> san_addresses(const tcp::acceptor& a) {
    std::vector<std::string> ips = {"127.0.0.1", "::1"};
    auto ip = a.local_endpoint().address();
    if (!ip.is_unspecified() && ip.to_string() != "127.0.0.1" && ip.to_string() != "::1")
        ips.push_back(ip.to_string());
    return ips;
}

} // namespace

struct simulator::impl {
    explicit impl(simulator_options o)
        : io(std::in_place, static_cast<int>(std::max(1u, o.threads))),
          svc(std::make_unique<service>(std::move(o), *io, hash_pool)) {}

    std::optional<asio::io_context> io;
    // Two threads: one file's catch-up over many spooled parts would otherwise hold up the
    // chunks other connections' in-order parts wait to have hashed (ordered_part_digests).
    asio::thread_pool hash_pool{2};
    std::unique_ptr<service> svc;
    asio::ssl::context api_tls{asio::ssl::context::tls_server};
    asio::ssl::context upload_tls{asio::ssl::context::tls_server};
    std::optional<tcp::acceptor> api_acceptor, upload_acceptor;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::vector<std::thread> threads;
    std::filesystem::path work_dir;
    bool owns_work_dir = false;
    std::filesystem::path ca_path;
    std::mutex stop_mutex;
    bool stopped = false;

    void start();
    void shutdown();
};

void simulator::impl::start() {
    auto& o = svc->options;
    if (o.part_size == 0)
        throw std::invalid_argument("simulator: part_size must be at least 1 byte");
    if (o.rate_limit == 0)
        throw std::invalid_argument("simulator: rate_limit must be at least 1");

    if (o.work_dir.empty()) {
        work_dir =
            std::filesystem::temp_directory_path() / ("ascpp-sim-" + random_token().substr(0, 16));
        owns_work_dir = true;
    } else {
        work_dir = o.work_dir;
    }
    std::filesystem::create_directories(work_dir / "spool");
    svc->spool_dir = work_dir / "spool";
    svc->cursor_key = mix_seed(o.seed, 0xC0450);

    boost::system::error_code ec;
    api_acceptor = try_listen(*io, o.api_address, o.api_port, ec);
    if (!api_acceptor)
        throw std::runtime_error("simulator: cannot listen on " + o.api_address + ":" +
                                 std::to_string(o.api_port) + ": " + ec.message());
    upload_acceptor = try_listen(*io, o.upload_address, o.upload_port, ec);
    if (!upload_acceptor && o.upload_address == "127.0.0.2")
        upload_acceptor = try_listen(*io, "127.0.0.1", o.upload_port, ec);
    if (!upload_acceptor)
        throw std::runtime_error("simulator: cannot listen on " + o.upload_address + ":" +
                                 std::to_string(o.upload_port) + ": " + ec.message());
    svc->api_base = origin_of(*api_acceptor);
    svc->upload_base = origin_of(*upload_acceptor);

    // TLS: the files given, or certificates from a CA generated for this run.
    std::string bundle;
    if (o.ca_file)
        bundle += read_file(*o.ca_file);
    std::optional<certificate_authority> ca;
    auto issue_for = [&](asio::ssl::context& ctx, const tcp::acceptor& a) {
        if (!ca) {
            ca = certificate_authority::generate("ascpp-sim local CA");
            bundle += ca->certificate_pem();
        }
        auto leaf = ca->issue({"localhost"}, san_addresses(a));
        configure_tls(ctx, leaf.certificate_pem + ca->certificate_pem(), leaf.private_key_pem);
    };
    if (o.api_tls)
        configure_tls(api_tls, read_file(o.api_tls->certificate_chain),
                      read_file(o.api_tls->private_key));
    else
        issue_for(api_tls, *api_acceptor);
    if (o.upload_tls)
        configure_tls(upload_tls, read_file(o.upload_tls->certificate_chain),
                      read_file(o.upload_tls->private_key));
    else
        issue_for(upload_tls, *upload_acceptor);
    if (ca) {
        ca_path = work_dir / "ca.pem";
        write_file(ca_path, bundle);
    } else if (o.ca_file) {
        ca_path = *o.ca_file;
    }

    {
        std::lock_guard lock(svc->mutex);
        for (auto& id : o.app_ids)
            svc->db.add_app(id);
    }
    svc->faults.set(o.faults, o.seed);
    svc->webhooks = std::make_shared<webhook_dispatcher>(
        *svc, o.webhook_ca_file ? std::optional(*o.webhook_ca_file)
                                : (ca_path.empty() ? std::nullopt : std::optional(ca_path)));
    {
        std::lock_guard lock(svc->mutex);
        svc->db.observer = [d = svc->webhooks.get()](const state_change& c) { d->on_change(c); };
    }

    asio::co_spawn(*io, run_listener(*svc, *api_acceptor, api_tls, origin::api), asio::detached);
    asio::co_spawn(*io, run_listener(*svc, *upload_acceptor, upload_tls, origin::upload),
                   asio::detached);
    work.emplace(io->get_executor());
    for (unsigned i = 0; i < std::max(1u, o.threads); ++i)
        threads.emplace_back([this] { io->run(); });
}

void simulator::impl::shutdown() {
    std::lock_guard lock(stop_mutex);
    if (stopped)
        return;
    stopped = true;
    svc->stopping = true;
    work.reset();
    io->stop();
    for (auto& t : threads)
        if (t.joinable())
            t.join();
    // Hashing jobs may schedule timers on the io_context: finish them before it goes.
    hash_pool.stop();
    hash_pool.join();
    api_acceptor.reset();
    upload_acceptor.reset();
    if (svc->webhooks)
        svc->webhooks->close();
    // Destroys the sessions and timers still pending, while the service they use is alive.
    io.reset();
    {
        std::lock_guard slock(svc->mutex);
        svc->db.clear(svc->options.seed); // removes spooled parts
    }
    std::error_code ec;
    if (owns_work_dir)
        std::filesystem::remove_all(work_dir, ec);
}

simulator::simulator(simulator_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {
    try {
        impl_->start();
    } catch (...) {
        impl_->shutdown();
        throw;
    }
}

simulator::~simulator() {
    stop();
}

std::string simulator::api_url() const {
    return impl_->svc->api_base;
}
std::string simulator::upload_url() const {
    return impl_->svc->upload_base;
}
std::filesystem::path simulator::ca_file() const {
    return impl_->ca_path;
}

api_credentials simulator::create_api_key(bool individual) {
    return impl_->svc->keys.create_key(individual);
}

void simulator::add_api_key(std::string key_id, std::string issuer_id,
                            std::string_view public_key_pem) {
    impl_->svc->keys.add_key(std::move(key_id), std::move(issuer_id), public_key_pem);
}

void simulator::revoke_api_key(std::string_view key_id) {
    impl_->svc->keys.revoke(key_id);
}

void simulator::reset(std::optional<std::vector<std::string>> app_ids) {
    reset_service(*impl_->svc, app_ids ? *app_ids : impl_->svc->options.app_ids);
}

void simulator::add_app(std::string app_id) {
    std::lock_guard lock(impl_->svc->mutex);
    impl_->svc->db.add_app(app_id);
}

void simulator::set_faults(std::vector<fault_rule> rules, std::optional<std::uint64_t> seed) {
    impl_->svc->faults.set(std::move(rules), seed.value_or(impl_->svc->options.seed));
}

void simulator::clear_faults() {
    impl_->svc->faults.clear();
}

void simulator::release_action(std::string_view version_id, release_channel channel,
                               std::string_view action) {
    run_release_action(*impl_->svc, std::string(version_id), channel, std::string(action));
}

void simulator::pause_processing(bool paused) {
    impl_->svc->set_paused(paused);
}

std::string simulator::add_webhook(webhook_config config) {
    return impl_->svc->webhooks->add(std::move(config));
}

void simulator::remove_webhook(std::string_view id) {
    impl_->svc->webhooks->remove(id);
}

std::vector<std::pair<std::string, webhook_config>> simulator::webhooks() const {
    return impl_->svc->webhooks->list();
}

simulator_stats simulator::stats() const {
    return impl_->svc->stats.snapshot();
}
void simulator::reset_stats() {
    impl_->svc->stats.reset();
}
const simulator_options& simulator::options() const noexcept {
    return impl_->svc->options;
}

void simulator::stop() {
    if (impl_)
        impl_->shutdown();
}

} // namespace ascpp::sim
