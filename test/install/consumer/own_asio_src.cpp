// A program that compiles Asio itself (BOOST_ASIO_SEPARATE_COMPILATION with src.hpp in
// asio_src.cpp): it must link against the installed package without duplicate definitions.
#include "list_packs.hpp"

int main() {
    return list_packs_against_simulator("own_asio_src", [](boost::asio::io_context&) {});
}
