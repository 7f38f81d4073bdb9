// Appends fetched certificates to the data root as DESIGN.md §2 lays it out:
// ROOT/<notAfter UTC date>/<issuer>.pem, one PEM block per entry with RFC 1421
// headers:
//
//   -----BEGIN CERTIFICATE-----
//   Log: https://log.example/
//   Recorded-at: 2025-07-01T12:34:56.789Z
//
//   MIIF…(64 characters a line)
//   -----END CERTIFICATE-----
//
// Files are opened in append mode and kept open (at most kMaxOpenFiles at
// once) until Commit(), which fsyncs every file (and every new directory)
// written since the last Commit(): the
// caller saves its state only after that, so a crash re-appends at most the
// uncommitted batch (the map de-duplicates). Not thread-safe.
#ifndef CT_FETCHER_ENTRY_WRITER_H_
#define CT_FETCHER_ENTRY_WRITER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ctmr::fetch {

// "2025-07-01T12:34:56.789Z" for milliseconds since the epoch.
std::string FormatRfc3339Millis(uint64_t unix_millis);

// One PEM block with the Log and Recorded-at headers (see above).
std::string FormatPemBlock(absl::string_view log_url, uint64_t timestamp_millis,
                           absl::string_view der);

struct EntryWriterStats {
  uint64_t written = 0;
  uint64_t expired = 0;      // skipped: notAfter before now
  uint64_t unparseable = 0;  // skipped: no notAfter could be read
};

class EntryWriter {
 public:
  static constexpr size_t kMaxOpenFiles = 256;

  // Certificates whose notAfter is before `now_unix_seconds` are skipped
  // unless `include_expired`.
  EntryWriter(std::string data_dir, bool include_expired, int64_t now_unix_seconds);
  ~EntryWriter();
  EntryWriter(const EntryWriter&) = delete;
  EntryWriter& operator=(const EntryWriter&) = delete;

  // Appends `der` to ROOT/<notAfter>/<issuer_id>.pem. Returns true when written,
  // false when skipped (expired, or not a certificate whose validity can be
  // read: counted in stats()). I/O errors name the file.
  absl::StatusOr<bool> Append(absl::string_view log_url, uint64_t timestamp_millis,
                              absl::string_view der, absl::string_view issuer_id);

  // fsyncs and closes every file opened since the last Commit().
  absl::Status Commit();

  // Writes ROOT/issuers/<issuer_id>.pem (synced) unless it exists already.
  absl::Status SaveIssuer(absl::string_view issuer_id, absl::string_view der);

  const EntryWriterStats& stats() const { return stats_; }

 private:
  absl::StatusOr<int> OpenForAppend(const std::string& dir, const std::string& name);

  std::string data_dir_;
  bool include_expired_;
  int64_t now_;
  std::map<std::string, int> open_files_;  // path → fd
  std::set<std::string> closed_unsynced_;  // written, closed, not yet fsync'd
  std::set<std::string> known_dirs_;       // exist and are synced
  std::set<std::string> saved_issuers_;
  EntryWriterStats stats_;
};

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_ENTRY_WRITER_H_
