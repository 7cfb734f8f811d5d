// A file opened for the hashing passes: positioned reads, and the upload's errors when the file
// cannot be read or became shorter than it was when the upload began.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

namespace ascpp::upload::detail {

class read_only_file {
public:
    // Throws upload_error(file_error).
    explicit read_only_file(const std::filesystem::path& path);
    ~read_only_file();
    read_only_file(const read_only_file&) = delete;
    read_only_file& operator=(const read_only_file&) = delete;

    // Fills `out` from `offset`. Throws upload_error: file_error when reading fails,
    // file_changed when the file ends first.
    void read_at(std::span<unsigned char> out, std::uint64_t offset);
    // A hint that the file will be read front to back.
    void advise_sequential() noexcept;

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

} // namespace ascpp::upload::detail
