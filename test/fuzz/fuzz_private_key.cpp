// Fuzz target: the .p8 private key loader and the public key reader. Bad input is an
// auth error, never a crash or a leak.
#include <ascpp/auth/private_key.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view pem(reinterpret_cast<const char*>(data), size);
    try {
        auto key = ascpp::auth::private_key::from_pem(pem);
        (void)key.public_key_pem();
    } catch (const std::exception&) {
    }
    try {
        (void)ascpp::auth::public_key::from_pem(pem);
    } catch (const std::exception&) {
    }
    return 0;
}
