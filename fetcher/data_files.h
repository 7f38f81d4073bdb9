// The certificate files of a data root, shared by every log ct-fetch follows
// (DESIGN.md §2: ROOT/<notAfter date>/<issuer>.ctseg, or <issuer>.pem with
// --format pem). Thread-safe.
//
// Compact format (the default): AppendCertificate() stores a certificate in
// its segment (common/segment/segment.h) unless the segment already holds
// one of that serial, from any log, stored durably or pending the next Sync.
// Records wait in a per-file block of up to segment::kMaxBlockRecords, which
// is compressed when full and at Sync(). The serials of each segment are a
// SerialSet (serial_index.h), loaded from its index file and the segment
// bytes after it, or rebuilt from the segment when the index is missing,
// behind or does not match. A set is saved (its index file written) only
// when every record it holds is fsync'd: when it is evicted to keep the sets
// under `serial_memory`, when it has grown by kSaveEvery since its last save,
// and at destruction; so an index never says "stored" for a record that is
// not durably in its segment. After a failed write to a segment its set is
// dropped and rebuilt from what the file holds. One set larger than the
// budget is still kept (it is needed for every lookup in its segment): the
// bound is then that set.
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
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/segment/segment.h"
#include "common/x509/certificate_view.h"
#include "fetcher/serial_index.h"

namespace ctmr::fetch {

enum class StorageFormat { kCompact, kPem };

// "compact" or "pem"; InvalidArgument otherwise.
absl::StatusOr<StorageFormat> ParseStorageFormat(absl::string_view name);

struct DataFilesOptions {
  StorageFormat format = StorageFormat::kCompact;
  // Bound on the serial sets kept in memory (kCompact).
  size_t serial_memory = 256 << 20;
  int zstd_level = segment::BlockBuilder::kDefaultLevel;
};

struct SerialIndexStats {
  uint64_t loaded = 0;        // sets read from their index file
  uint64_t rebuilt = 0;       // sets (or their tails) read from their segment
  uint64_t records_read = 0;  // segment records read to rebuild
  uint64_t saved = 0;         // index files written
  uint64_t evicted = 0;       // sets dropped to stay under serial_memory
  uint64_t torn_cut = 0;      // torn blocks cut from segments
  size_t memory_bytes = 0;    // held by the sets now
};

class DataFiles {
 public:
  static constexpr size_t kMaxOpenFiles = 256;
  static constexpr size_t kFlushBytes = 64 << 10;
  static constexpr size_t kSaveEvery = 1 << 20;

  explicit DataFiles(std::string data_dir, DataFilesOptions options = {});
  ~DataFiles();  // writes the buffers (without fsync) and closes the files
  DataFiles(const DataFiles&) = delete;
  DataFiles& operator=(const DataFiles&) = delete;

  const std::string& data_dir() const { return data_dir_; }
  StorageFormat format() const { return options_.format; }

  // The failure count so far: a caller takes it before its first Append()
  // and passes it to Sync().
  uint64_t epoch() const;

  // Appends one complete block to ROOT/<dir>/<file>, creating the directory
  // (synced into the root) when needed. `dir` and `file` are single names.
  absl::Status Append(absl::string_view dir, absl::string_view file, absl::string_view block);

  // kCompact: appends the certificate `der` (whose serial's content octets
  // are `serial`) to ROOT/<dir>/<issuer_id>.ctseg, unless one of that serial
  // is stored there already: then returns false and writes nothing.
  absl::StatusOr<bool> AppendCertificate(absl::string_view dir, absl::string_view issuer_id,
                                         absl::string_view log_url, uint64_t recorded_at_ms,
                                         absl::string_view der, absl::string_view serial);

  SerialIndexStats serial_stats() const;

  // Writes every buffer and fsyncs every file written since the last Sync()
  // (of any caller). Fails if this Sync's writes failed, or if any write or
  // fsync failed since `*epoch`; then sets *epoch to now, so that the caller,
  // having thrown its unsynced work away, can start again.
  absl::Status Sync(uint64_t* epoch);

  // Writes ROOT/issuers/<issuer_id>.pem (synced, atomically) unless it exists.
  absl::Status SaveIssuer(absl::string_view issuer_id, absl::string_view pem);

 private:
  struct PendingRecord {
    size_t url_at, url_size, der_at, der_size;
    uint64_t recorded_at_ms;
  };
  struct File {
    int fd = -1;
    int64_t size = 0;    // bytes on disk (after the torn-tail cut)
    std::string buffer;  // appended, not yet written
    bool dirty = false;  // written since the last fsync
    // kCompact: the records of the next block, their bytes in `arena`.
    std::vector<PendingRecord> pending;
    std::string arena;
  };
  struct Serials {
    SerialSet set;
    std::string segment_path;
    std::string index_path;
    std::string index_dir;
    int64_t end = 0;               // segment bytes written that the set stands for
    uint64_t appends = 0;          // records inserted, ever
    uint64_t durable_appends = 0;  // of which fsync'd
    uint64_t last_use = 0;
  };

  // With mu_ held.
  absl::Status OpenLocked(const std::string& path, absl::string_view dir, File* file);
  // The open file ROOT/<dir>/<file_name> (opened when needed), with its key.
  absl::StatusOr<std::pair<const std::string, File>*> FileLocked(absl::string_view dir,
                                                                 absl::string_view file_name);
  // Reads the segment's set (index file, then the segment after it), cuts a
  // torn tail, and sets file->size.
  absl::Status LoadSerialsLocked(const std::string& path, absl::string_view dir,
                                 absl::string_view file_name, File* file);
  absl::Status BuildBlockLocked(File* file);
  std::string IndexPathLocked(absl::string_view dir, absl::string_view file_name) const;
  absl::Status SaveSerialsLocked(Serials* s);
  uint64_t AppendsLocked(const std::string& path) const;
  // Saves and drops clean sets, least recently used first, until the sets
  // fit the budget (never `keep`, the set about to be used); saves clean
  // sets that grew by kSaveEvery.
  void TrimSerialsLocked(const std::string* keep = nullptr);
  absl::Status FlushLocked(const std::string& path, File* file);
  void FailLocked(const absl::Status& s);
  absl::Status CloseAllLocked();

  const std::string data_dir_;
  const DataFilesOptions options_;
  std::mutex commit_mu_;  // one Sync() at a time: a clean file is then a synced file
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, File> files_;  // "dir/file" → open file
  std::set<std::string> closed_unsynced_;         // written and closed, not yet fsync'd
  absl::flat_hash_set<std::string> known_dirs_;   // exist, and their entry is synced
  absl::flat_hash_set<std::string> saved_issuers_;
  uint64_t failures_ = 0;
  absl::Status last_failure_;
  std::string key_;  // reused for lookups
  // kCompact
  absl::flat_hash_map<std::string, std::unique_ptr<Serials>> serials_;  // by segment path
  uint64_t use_clock_ = 0;
  segment::BlockBuilder builder_;
  std::vector<segment::Record> records_;  // reused
  std::string file_name_;                 // reused
  x509::CertificateView view_;            // reused
  SerialIndexStats serial_stats_;
};

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_DATA_FILES_H_
