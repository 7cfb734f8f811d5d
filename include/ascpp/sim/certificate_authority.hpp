// A throwaway certificate authority for tests and the simulator: generates a P-256 CA and issues
// leaf certificates for DNS names and IP addresses with a chosen validity window (so a test can
// make an expired or not-yet-valid certificate). Everything is returned as PEM text.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::sim {

// Thrown when OpenSSL fails or an input (name, address, PEM) is invalid. The message names the
// step, never key material.
class certificate_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class certificate_authority {
public:
    struct issued {
        std::string certificate_pem; // the leaf certificate only (not the CA)
        std::string private_key_pem; // PKCS#8, unencrypted
    };

    // A new self-signed CA with a fresh P-256 key, valid from a day ago for ten years.
    static certificate_authority generate(std::string common_name);
    static certificate_authority generate(std::string common_name,
                                          std::chrono::system_clock::time_point not_before,
                                          std::chrono::system_clock::time_point not_after);
    // An existing CA, e.g. one written by write_files() in an earlier run.
    static certificate_authority from_pem(std::string_view certificate_pem,
                                          std::string_view private_key_pem);

    const std::string& certificate_pem() const noexcept;
    const std::string& private_key_pem() const noexcept;

    // A server certificate (serverAuth) for `dns_names` and `ip_addresses` (IPv4 or IPv6 text),
    // signed by this CA, with a fresh P-256 key. At least one name or address is required.
    issued issue(const std::vector<std::string>& dns_names,
                 const std::vector<std::string>& ip_addresses,
                 std::chrono::system_clock::time_point not_before,
                 std::chrono::system_clock::time_point not_after) const;
    // The same, valid from an hour ago for thirty days.
    issued issue(const std::vector<std::string>& dns_names,
                 const std::vector<std::string>& ip_addresses) const;

    // Writes `pem` to `path` (private keys are created readable by the owner only).
    static void write_pem(const std::filesystem::path& path, std::string_view pem);

private:
    struct impl;
    explicit certificate_authority(std::shared_ptr<const impl> impl);
    std::shared_ptr<const impl> impl_;
};

} // namespace ascpp::sim
