// ascpp::upload::journal: the resume journal of an upload (or of a publish).
//
// A small JSON file recording, per file, the reservation (upload file id), the identity of the
// local file, and every part the upload host acknowledged with its MD5. A process killed during
// an upload and started again with the same journal sends only the missing parts, and still
// commits the right checksums (the part MD5s come from the journal; the whole-file checksum is
// recomputed by reading the file).
//
// Every save writes a temporary file in the same directory, flushes it to disk and renames it
// over the journal, so the file on disk is always a complete earlier or later state. A part is
// recorded only after the upload host acknowledged it. Thread-safe.
#pragma once

#include <ascpp/upload/hasher.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ascpp::upload {

struct journal_part {
    std::int64_t part_number = 0;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    digest md5;
    friend bool operator==(const journal_part&, const journal_part&) = default;
};

struct journal_entry {
    std::string upload_file_id;
    std::string background_asset_version_id; // when known
    std::string asset_type;                  // "ASSET" / "MANIFEST"
    std::string file_name;
    // The local file: absolute path, size and modification time (ns since the epoch).
    std::string path;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::vector<journal_part> parts; // acknowledged parts, in the order they completed
    bool committed = false;
    friend bool operator==(const journal_entry&, const journal_entry&) = default;
};

class journal {
public:
    // Loads the journal when the file exists, else starts empty (nothing is written until the
    // first change). Throws upload_error(journal_error) when the file is not a journal.
    explicit journal(std::filesystem::path path);
    journal(const journal&) = delete;
    journal& operator=(const journal&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }

    // Entries are keyed by what the caller uploads, e.g. "ASSET" or "MANIFEST".
    std::optional<journal_entry> entry(std::string_view key) const;
    void set_entry(const std::string& key, journal_entry e);
    void erase_entry(std::string_view key);
    // Adds an acknowledged part (replacing one with the same part number).
    void record_part(std::string_view key, const journal_part& part);
    void mark_committed(std::string_view key);

    // Free-form values of the caller (a publish keeps its pack and version ids here).
    std::optional<std::string> value(std::string_view name) const;
    void set_value(const std::string& name, std::string value);

    // Writes the current state if it changed since the last save (atomic replace). Blocking
    // file I/O: the upload engine calls it off the io_context threads. Throws
    // upload_error(journal_error).
    void save();
    // Deletes the journal file (after a finished publish); the in-memory state stays.
    void remove();

    // The identity of a local file as recorded in entries: {absolute path, size, mtime_ns}.
    struct file_identity {
        std::string path;
        std::uint64_t size = 0;
        std::int64_t mtime_ns = 0;
    };
    // Throws upload_error(file_error) when the file cannot be examined.
    static file_identity identify(const std::filesystem::path& file);

private:
    std::filesystem::path path_;
    mutable std::mutex mutex_;
    std::map<std::string, journal_entry, std::less<>> entries_;
    std::map<std::string, std::string, std::less<>> values_;
    std::uint64_t generation_ = 0;
    std::uint64_t saved_generation_ = 0;
    std::mutex save_mutex_; // one writer at a time, newest state last
};

} // namespace ascpp::upload
