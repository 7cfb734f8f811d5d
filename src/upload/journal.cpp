#include <ascpp/upload/journal.hpp>
#include <ascpp/upload/upload_error.hpp>

#include <boost/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ascpp::upload {

namespace json = boost::json;

namespace {

constexpr std::string_view journal_format = "ascpp-upload-journal";
constexpr std::int64_t journal_version = 1;

[[noreturn]] void fail(const std::filesystem::path& p, const std::string& what) {
    throw upload_error(upload_errc::journal_error, "journal " + p.string() + ": " + what);
}

json::object to_json(const journal_entry& e) {
    json::array parts;
    for (const auto& p : e.parts)
        parts.push_back(json::object{{"partNumber", p.part_number},
                                     {"offset", p.offset},
                                     {"length", p.length},
                                     {"md5", p.md5.hex()}});
    return json::object{{"uploadFileId", e.upload_file_id},
                        {"versionId", e.background_asset_version_id},
                        {"assetType", e.asset_type},
                        {"fileName", e.file_name},
                        {"path", e.path},
                        {"size", e.size},
                        {"mtimeNs", e.mtime_ns},
                        {"committed", e.committed},
                        {"parts", std::move(parts)}};
}

journal_entry entry_from_json(const json::object& o) {
    journal_entry e;
    e.upload_file_id = json::value_to<std::string>(o.at("uploadFileId"));
    if (auto* v = o.if_contains("versionId"))
        e.background_asset_version_id = json::value_to<std::string>(*v);
    e.asset_type = json::value_to<std::string>(o.at("assetType"));
    e.file_name = json::value_to<std::string>(o.at("fileName"));
    e.path = json::value_to<std::string>(o.at("path"));
    e.size = json::value_to<std::uint64_t>(o.at("size"));
    e.mtime_ns = json::value_to<std::int64_t>(o.at("mtimeNs"));
    e.committed = o.at("committed").as_bool();
    for (const auto& pv : o.at("parts").as_array()) {
        const auto& po = pv.as_object();
        journal_part p;
        p.part_number = json::value_to<std::int64_t>(po.at("partNumber"));
        p.offset = json::value_to<std::uint64_t>(po.at("offset"));
        p.length = json::value_to<std::uint64_t>(po.at("length"));
        p.md5 = digest_from_hex(json::value_to<std::string>(po.at("md5")), 16);
        if (p.md5.size != 16)
            throw std::invalid_argument("bad md5");
        e.parts.push_back(p);
    }
    return e;
}

void write_all(int fd, std::string_view data, const std::filesystem::path& p) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail(p, std::string("write failed: ") + std::strerror(errno));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

} // namespace

journal::journal(std::filesystem::path path) : path_(std::move(path)) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
        std::error_code ec;
        if (std::filesystem::exists(path_, ec))
            fail(path_, "cannot be read");
        return; // a new journal
    }
    std::stringstream buf;
    buf << in.rdbuf();
    try {
        auto v = json::parse(buf.str());
        const auto& o = v.as_object();
        if (o.at("format").as_string() != journal_format)
            fail(path_, "not an ascpp upload journal");
        if (o.at("version").to_number<std::int64_t>() != journal_version)
            fail(path_, "unsupported journal version");
        for (const auto& [k, ev] : o.at("files").as_object())
            entries_.emplace(std::string(k), entry_from_json(ev.as_object()));
        if (auto* vals = o.if_contains("values"))
            for (const auto& [k, vv] : vals->as_object())
                values_.emplace(std::string(k), std::string(vv.as_string()));
    } catch (const upload_error&) {
        throw;
    } catch (const std::exception&) {
        fail(path_, "is damaged or not a journal");
    }
}

std::optional<journal_entry> journal::entry(std::string_view key) const {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end())
        return it->second;
    return std::nullopt;
}

void journal::set_entry(const std::string& key, journal_entry e) {
    std::lock_guard lock(mutex_);
    entries_[key] = std::move(e);
    ++generation_;
}

void journal::erase_entry(std::string_view key) {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) {
        entries_.erase(it);
        ++generation_;
    }
}

void journal::record_part(std::string_view key, const journal_part& part) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end())
        throw std::logic_error("journal: record_part for an unknown entry");
    auto& parts = it->second.parts;
    std::erase_if(parts, [&](const journal_part& p) { return p.part_number == part.part_number; });
    parts.push_back(part);
    ++generation_;
}

void journal::mark_committed(std::string_view key) {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end() && !it->second.committed) {
        it->second.committed = true;
        ++generation_;
    }
}

std::optional<std::string> journal::value(std::string_view name) const {
    std::lock_guard lock(mutex_);
    if (auto it = values_.find(name); it != values_.end())
        return it->second;
    return std::nullopt;
}

void journal::set_value(const std::string& name, std::string value) {
    std::lock_guard lock(mutex_);
    auto& slot = values_[name];
    if (slot != value) {
        slot = std::move(value);
        ++generation_;
    }
}

void journal::save() {
    std::lock_guard writer(save_mutex_);
    std::string text;
    std::uint64_t generation;
    {
        std::lock_guard lock(mutex_);
        if (generation_ == saved_generation_)
            return;
        generation = generation_;
        json::object files;
        for (const auto& [k, e] : entries_)
            files[k] = to_json(e);
        json::object values;
        for (const auto& [k, v] : values_)
            values[k] = v;
        text = json::serialize(json::object{{"format", journal_format},
                                            {"version", journal_version},
                                            {"files", std::move(files)},
                                            {"values", std::move(values)}});
        text.push_back('\n');
    }
    // Temp file in the same directory, flushed, then renamed over the journal: a reader (or a
    // restarted process) sees the old state or the new one, never a torn file.
    auto tmp = path_;
    tmp += ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fail(path_, std::string("cannot create a temporary file: ") + std::strerror(errno));
    try {
        write_all(fd, text, path_);
        if (::fdatasync(fd) != 0)
            fail(path_, std::string("cannot flush: ") + std::strerror(errno));
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        fail(path_, std::string("cannot replace: ") + std::strerror(err));
    }
    std::lock_guard lock(mutex_);
    if (generation > saved_generation_)
        saved_generation_ = generation;
}

void journal::remove() {
    std::lock_guard writer(save_mutex_);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    std::lock_guard lock(mutex_);
    saved_generation_ = 0;
    ++generation_; // a later save() writes it again
}

journal::file_identity journal::identify(const std::filesystem::path& file) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(file, ec);
    struct stat st {};
    if (ec || ::stat(abs.c_str(), &st) != 0)
        throw upload_error(upload_errc::file_error,
                           "cannot examine " + file.string() + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        throw upload_error(upload_errc::file_error, file.string() + " is not a regular file");
    return {abs.lexically_normal().string(), static_cast<std::uint64_t>(st.st_size),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

} // namespace ascpp::upload
