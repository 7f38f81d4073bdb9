// The certificate files of a data root, shared by every log ct-fetch follows
// (DESIGN.md §2: ROOT/<notAfter date>/<issuer>.pem). Thread-safe.
//
// Logs are followed concurrently and certificates of one issuer and day come
// from many logs, so several followers append to the same file. They do it
// through this one object: a block is appended whole (under a lock) to the
// file's buffer, and buffers are written when they pass kFlushBytes, when
// too many files are open, and at Sync(). Only this writer cuts a torn tail
// (a block half-written by a crash) from a file it opens, which is why there
// is one ct-fetch per data root (its lock file) and one DataFiles per ct-fetch.
//
// Durability: Sync() returns OK only when every block appended before it, by
// any caller, is written and fsync'd (with the directories it created). A
// caller saves its state after an OK Sync(), never before, so a crash loses
// nothing and re-appends at most the blocks since that Sync (the map
// de-duplicates them). A failed write is cut back from its file; since a
// buffer may hold blocks of several logs, every write or fsync failure fails
// the next Sync() of every caller that had appended before it (its `epoch`),
// so no follower advances its state past blocks that may be gone.
//
// Errors: kUnavailable for I/O errors (naming the file; ENOSPC included),
// kFailedPrecondition when a path in the root is not a regular file.
#ifndef CT_FETCHER_DATA_FILES_H_
#define CT_FETCHER_DATA_FILES_H_

#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ctmr::fetch {

class DataFiles {
 public:
  static constexpr size_t kMaxOpenFiles = 256;
  static constexpr size_t kFlushBytes = 64 << 10;

  explicit DataFiles(std::string data_dir);
  ~DataFiles();  // writes the buffers (without fsync) and closes the files
  DataFiles(const DataFiles&) = delete;
  DataFiles& operator=(const DataFiles&) = delete;

  const std::string& data_dir() const { return data_dir_; }

  // The failure count so far: a caller takes it before its first Append()
  // and passes it to Sync().
  uint64_t epoch() const;

  // Appends one complete block to ROOT/<dir>/<file>, creating the directory
  // (synced into the root) when needed. `dir` and `file` are single names.
  absl::Status Append(absl::string_view dir, absl::string_view file, absl::string_view block);

  // Writes every buffer and fsyncs every file written since the last Sync()
  // (of any caller). Fails if this Sync's writes failed, or if any write or
  // fsync failed since `*epoch`; then sets *epoch to now, so that the caller,
  // having thrown its unsynced work away, can start again.
  absl::Status Sync(uint64_t* epoch);

  // Writes ROOT/issuers/<issuer_id>.pem (synced, atomically) unless it exists.
  absl::Status SaveIssuer(absl::string_view issuer_id, absl::string_view pem);

 private:
  struct File {
    int fd = -1;
    int64_t size = 0;    // bytes on disk (after the torn-tail cut)
    std::string buffer;  // appended, not yet written
    bool dirty = false;  // written since the last fsync
  };

  // With mu_ held.
  absl::Status OpenLocked(const std::string& path, absl::string_view dir, File* file);
  absl::Status FlushLocked(const std::string& path, File* file);
  void FailLocked(const absl::Status& s);
  absl::Status CloseAllLocked();

  const std::string data_dir_;
  std::mutex commit_mu_;  // one Sync() at a time: a clean file is then a synced file
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, File> files_;  // "dir/file" → open file
  std::set<std::string> closed_unsynced_;         // written and closed, not yet fsync'd
  absl::flat_hash_set<std::string> known_dirs_;   // exist, and their entry is synced
  absl::flat_hash_set<std::string> saved_issuers_;
  uint64_t failures_ = 0;
  absl::Status last_failure_;
  std::string key_;  // reused for lookups
};

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_DATA_FILES_H_
