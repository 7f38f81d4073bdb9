// OracleWriter: commits an oracle.out written as a stream, so that a map
// never holds a directory's whole tally: the bytes are those CommitOracle
// writes for the same DirectoryTally (the protobuf encoding, fields in number
// order, then the trailer of oracle_file.h, its XXH3-128 computed on the way).
//
// The caller gives the fields in the encoding's order: BeginTally (the
// header), per issuer in issuer_id order BeginIssuer with the number of
// records each of its sets will have, then for each non-empty set BeginSet and
// its records ascending; Commit last. A count that the records do not match
// is Internal (a bug, never a tally with a wrong length).
//
// Memory: one buffer of kBufferBytes. Not thread-safe.
#ifndef CT_COMMON_TALLY_ORACLE_WRITER_H_
#define CT_COMMON_TALLY_ORACLE_WRITER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/base/file_util.h"
#include "common/base/hash128.h"
#include "common/tally/hash_run.h"
#include "proto/tally.pb.h"

namespace ctmr::tally {

class OracleWriter {
 public:
  static constexpr size_t kBufferBytes = 1 << 20;

  // Opens dir/oracle.out's temp file; nothing replaces oracle.out until Commit.
  static absl::StatusOr<std::unique_ptr<OracleWriter>> Create(const std::string& dir);
  // The same format at `path` (a split map's part, map_parts.h): Commit
  // renames it with `durability` and writes no oracle.out.offsets.
  static absl::StatusOr<std::unique_ptr<OracleWriter>> CreateFile(const std::string& path,
                                                                  base::Durability durability);

  // format_version, directory and offsets of `head` (its issuers and errors
  // are left to the calls below).
  absl::Status BeginTally(const DirectoryTally& head);
  // `header` holds the issuer's fields but its sets (which must be empty).
  absl::Status BeginIssuer(const IssuerTally& header,
                           const std::array<uint64_t, kTallySets>& counts);
  absl::Status BeginSet(TallySet set);
  void AddRecord(const base::Hash128& h) {
    base::AppendHash(h, &buffer_);
    ++records_;
    if (buffer_.size() >= kBufferBytes) status_.Update(FlushBuffer());
  }
  // Appends the encoding of whole DirectoryTally.issuers fields (tag and
  // length included), copied from another tally file, in issuer_id order
  // with the issuers written by BeginIssuer; not within an issuer.
  absl::Status AppendIssuerBytes(std::string_view bytes);
  // Writes `errors` and the trailer, commits oracle.out, then
  // oracle.out.offsets from BeginTally's offsets.
  absl::Status Commit(const ErrorCounts& errors);

 private:
  OracleWriter(std::string dir, std::unique_ptr<base::AtomicFileWriter> file)
      : dir_(std::move(dir)), file_(std::move(file)) {}
  absl::Status CloseIssuer();
  void Append(std::string_view bytes);
  void AppendVarint(uint64_t v);
  absl::Status FlushBuffer();
  absl::Status EndSet();

  std::string dir_;  // for messages; the folder of oracle.out.offsets
  std::unique_ptr<base::AtomicFileWriter> file_;
  bool offsets_file_ = true;
  base::Durability durability_ = base::Durability::kSynced;
  base::Hasher128 hasher_;
  std::string buffer_;
  uint64_t size_ = 0;  // payload bytes so far
  std::string offsets_text_;
  std::array<uint64_t, kTallySets> counts_{};
  int set_ = -1;          // the set being written
  uint64_t records_ = 0;  // of set_ so far
  int next_set_ = kTallySets;
  absl::Status status_;
};

}  // namespace ctmr::tally

#endif  // CT_COMMON_TALLY_ORACLE_WRITER_H_
