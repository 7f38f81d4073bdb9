// OracleReader: one oracle.out read without loading its hash sets, so that a
// reduce's memory does not grow with the size of a directory.
//
// Open() walks the protobuf wire format of the file: it parses the small
// fields (offsets, errors, and per issuer its names and issued days) and only
// notes where each of the four hash sets lies. Locate() then finds the records
// of one hash range in a set by searching the file (the sets are sorted), and
// Read() reads just those. Memory: the small fields and a one-page buffer.
//
// The file stays open until the reader is destroyed: a map that commits a new
// oracle.out meanwhile (a rename) does not change what one reader sees.
// Not thread-safe; one reader per thread.
#ifndef CT_COMMON_TALLY_ORACLE_READER_H_
#define CT_COMMON_TALLY_ORACLE_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/tally/hash_range.h"
#include "common/tally/hash_run.h"
#include "common/tally/hash_set.h"
#include "proto/tally.pb.h"

namespace ctmr::tally {

enum class NameSet { kFqdns, kRegdomains, kWildcards };
inline constexpr NameSet kNameSets[] = {NameSet::kFqdns, NameSet::kRegdomains, NameSet::kWildcards};

struct OracleIssuer {
  IssuerTally header;  // every field except the four hash sets, which are left empty
  SetSpan serials, fqdns, regdomains, wildcards;
  // The whole DirectoryTally.issuers field in the file, tag and length
  // included: [begin, end). A split map's merge copies these bytes as they are.
  uint64_t begin = 0, end = 0;

  const SetSpan& names(NameSet set) const {
    return set == NameSet::kFqdns ? fqdns : set == NameSet::kRegdomains ? regdomains : wildcards;
  }
};

class OracleReader {
 public:
  // nullopt when `path` does not exist or holds another kDirectoryTallyFormat
  // (as LoadOracle); DataLoss, naming the file, when its trailer
  // (oracle_file.h) is missing or wrong — a file cut short — or it does not
  // parse. The checksum is not read here (that reads the whole file):
  // VerifyChecksum does, once per reduce.

  static absl::StatusOr<std::optional<OracleReader>> Open(const std::string& path);

  OracleReader(OracleReader&& other) noexcept;
  OracleReader& operator=(OracleReader&& other) noexcept;
  OracleReader(const OracleReader&) = delete;
  OracleReader& operator=(const OracleReader&) = delete;
  ~OracleReader();

  const std::string& path() const { return path_; }
  // The directory's tally without its issuers.
  const DirectoryTally& header() const { return header_; }
  const std::vector<OracleIssuer>& issuers() const { return issuers_; }
  // The open file, for reading the sets' spans in order (HashRunCursor);
  // owned by the reader.
  int fd() const { return fd_; }
  // The payload's length (the file less its trailer) and XXH3-128, from the trailer.
  uint64_t payload_size() const { return size_; }
  const base::Hash128& checksum() const { return checksum_; }

  // Reads the whole payload and checks it against the trailer's checksum.
  // DataLoss, naming the file, when a byte changed.
  absl::Status VerifyChecksum();

  // The records of `span` that lie in `range`: indexes [first, second).
  // A first probe where a uniform hash would put each bound, then a binary
  // search, a few small reads in all.
  absl::StatusOr<std::pair<uint64_t, uint64_t>> Locate(const SetSpan& span, const HashRange& range);

  // Appends records [begin, end) of `span` to `out`, read straight into its
  // storage (reserve it first to allocate nothing else). DataLoss unless they
  // ascend strictly.
  absl::Status Read(const SetSpan& span, uint64_t begin, uint64_t end, HashSet* out);

 private:
  struct Field;
  OracleReader() = default;
  absl::Status Parse();
  absl::Status ParseIssuer(uint64_t field_begin, uint64_t begin, uint64_t end);
  absl::StatusOr<Field> NextField(uint64_t pos, uint64_t limit);
  absl::StatusOr<uint64_t> ReadVarint(uint64_t* pos, uint64_t limit);
  // A view of bytes [pos, pos + n) of the file, valid until the next call.
  absl::StatusOr<std::string_view> Peek(uint64_t pos, size_t n);
  // Appends the raw bytes of a small field (tag included) to `out`.
  absl::Status AppendField(const Field& f, std::string* out);
  absl::Status ReadExactly(uint64_t pos, size_t n, char* out);
  // The first index of `span` whose record is >= `h`.
  absl::StatusOr<uint64_t> LowerBound(const SetSpan& span, const base::Hash128& h);
  absl::Status Corrupt(std::string_view what) const;

  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;  // of the payload: the file less its trailer
  base::Hash128 checksum_;
  std::string buffer_;
  uint64_t buffer_pos_ = 0;  // file offset of buffer_[0]
  DirectoryTally header_;
  std::vector<OracleIssuer> issuers_;
};

// The committed tally of `dir` without its issuers: enough for NeedsMapping,
// read in bounded memory. nullopt and errors as LoadOracle.
absl::StatusOr<std::optional<DirectoryTally>> LoadOracleHeader(const std::string& dir);

}  // namespace ctmr::tally

#endif  // CT_COMMON_TALLY_ORACLE_READER_H_
