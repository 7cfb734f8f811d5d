// A program outside the ascpp tree, built against an installed ascpp: it links every layer (the
// publish workflow pulls in upload, api, auth and http) and runs the transport.
#include <ascpp/http/client.hpp>
#include <ascpp/workflow/publish.hpp>

#include <boost/asio/io_context.hpp>

#include <iostream>

int main() {
    boost::asio::io_context io;
    ascpp::http::client client(io.get_executor());
    // Taking the address makes the linker resolve the workflow layer and everything below it.
    auto* publish = &ascpp::workflow::publish;
    const auto stats = client.stats();
    std::cout << "ascpp consumer: " << stats.connections_opened << " connections\n";
    return publish != nullptr && stats.connections_opened == 0 ? 0 : 1;
}
