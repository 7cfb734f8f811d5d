#include "read_only_file.hpp"

#include <ascpp/upload/upload_error.hpp>

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace ascpp::upload::detail {

read_only_file::read_only_file(const std::filesystem::path& path)
    : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0)
        throw upload_error(upload_errc::file_error,
                           "cannot open " + path_.string() + ": " + std::strerror(errno));
}

read_only_file::~read_only_file() {
    ::close(fd_);
}

void read_only_file::read_at(std::span<unsigned char> out, std::uint64_t offset) {
    std::size_t got = 0;
    while (got < out.size()) {
        ssize_t n =
            ::pread(fd_, out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw upload_error(upload_errc::file_error,
                               "cannot read " + path_.string() + ": " + std::strerror(errno));
        }
        if (n == 0)
            throw upload_error(upload_errc::file_changed,
                               path_.string() + " became shorter while it was being uploaded");
        got += static_cast<std::size_t>(n);
    }
}

void read_only_file::advise_sequential() noexcept {
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
}

} // namespace ascpp::upload::detail
