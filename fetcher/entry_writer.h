// Appends fetched certificates to the data root as DESIGN.md §2 lays it out:
// ROOT/<notAfter UTC date>/<issuer>.ctseg, one record per distinct
// certificate (DataFiles de-duplicates); or, with the PEM format,
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
// One follower's writer: it parses each certificate for its notAfter (our
// DER reader, OpenSSL only for what it refuses), formats the block
// (common/x509/pem_writer.h) into a reused buffer and hands it to the shared DataFiles
// (data_files.h), which owns the files. Commit() is DataFiles::Sync(): the caller saves its state
// only after an OK Commit(), so a crash re-appends at most the uncommitted
// entries (the map de-duplicates). In steady state Append() allocates
// nothing. Not thread-safe: one EntryWriter per follower thread.
#ifndef CT_FETCHER_ENTRY_WRITER_H_
#define CT_FETCHER_ENTRY_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/x509/certificate_view.h"
#include "fetcher/data_files.h"

namespace ctmr::fetch {

struct EntryWriterStats {
  uint64_t written = 0;
  uint64_t expired = 0;      // skipped: notAfter before now
  uint64_t unparseable = 0;  // skipped: no notAfter could be read
  uint64_t duplicates = 0;   // skipped: stored already (compact format)
};

class EntryWriter {
 public:
  // Certificates whose notAfter is before `now_unix_seconds` are skipped
  // unless `include_expired`. `files` must outlive the writer.
  EntryWriter(DataFiles* files, bool include_expired, int64_t now_unix_seconds);
  // A writer with its own DataFiles on `data_dir` (one follower, and tests).
  EntryWriter(std::string data_dir, bool include_expired, int64_t now_unix_seconds,
              DataFilesOptions options = {});
  EntryWriter(const EntryWriter&) = delete;
  EntryWriter& operator=(const EntryWriter&) = delete;

  // Appends `der` to ROOT/<notAfter>/<issuer_id>.ctseg (or .pem, with the
  // PEM format). Returns true when written, false when skipped (expired, a
  // duplicate in the compact format, or not a certificate whose validity can
  // be read: counted in stats()). I/O errors name the file.
  absl::StatusOr<bool> Append(absl::string_view log_url, uint64_t timestamp_millis,
                              absl::string_view der, absl::string_view issuer_id);

  // Makes every entry appended so far durable (DataFiles::Sync).
  absl::Status Commit();

  // Writes ROOT/issuers/<issuer_id>.pem (synced) unless it exists already.
  absl::Status SaveIssuer(absl::string_view issuer_id, absl::string_view der);

  const EntryWriterStats& stats() const { return stats_; }

 private:
  std::unique_ptr<DataFiles> owned_files_;
  DataFiles* files_;
  bool include_expired_;
  int64_t now_;
  uint64_t epoch_;
  x509::CertificateView view_;  // reused
  std::string block_;           // reused
  std::string file_name_;       // reused
  EntryWriterStats stats_;
};

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_ENTRY_WRITER_H_
