// Segment files: ct-fetch's compact storage of certificates (DESIGN.md §2.1
// gives the bytes). A segment is append-only and made of blocks; each block is
// a 32-byte header and one zstd frame holding up to kMaxBlockRecords records
// (the DER, the log it was first seen in, and when that log recorded it).
//
//   header: "CTSG" | payload size u32 | raw size u32 | records u32 |
//           XXH3-64(payload) u64 | XXH3-64(header bytes 0..23) u64   (little-endian)
//
// Completeness is defined here once, for the map and for ct-fetch's torn-tail
// cut, as PemScanner defines it for PEM: a block is complete when its header
// checks and all its payload bytes are present. SegmentScanner returns
//  - complete blocks (their payload checksum may still fail: DecodeBlock says);
//  - corrupt regions: bytes that are no block (a header that does not check),
//    up to the next header that does, or to the end of the input when it is
//    the file's end (so a flipped byte costs one block, never the file);
//  - nothing for a torn tail (fewer than 32 bytes that start like a header,
//    or a good header whose payload is short): consumed() stops before it,
//    the map reads it next time, and ct-fetch, which scans a segment from a
//    block boundary before it appends, cuts it there.
// Every size read from a file is bounded (kMax*), so hostile bytes cannot make
// a reader allocate without end.
#ifndef CT_COMMON_SEGMENT_SEGMENT_H_
#define CT_COMMON_SEGMENT_SEGMENT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace ctmr::segment {

inline constexpr std::string_view kMagic = "CTSG";
inline constexpr size_t kHeaderBytes = 32;
inline constexpr size_t kMaxBlockRecords = 256;
// A block is closed once its raw records pass kTargetRawBytes; one record
// (a certificate) is at most kMaxCertificateBytes, the PEM reader's bound.
inline constexpr size_t kTargetRawBytes = 192 << 10;
inline constexpr size_t kMaxCertificateBytes = 1 << 20;
inline constexpr size_t kMaxLogUrlBytes = 4096;
inline constexpr size_t kMaxRawBytes =
    kTargetRawBytes + kMaxCertificateBytes + 64 * kMaxLogUrlBytes;
inline constexpr size_t kMaxPayloadBytes = kMaxRawBytes + (kMaxRawBytes >> 7) + 1024;
// Longer than any block: the torn-tail cut reads this much of a file's end.
inline constexpr size_t kMaxBlockBytes = kHeaderBytes + kMaxPayloadBytes;

inline constexpr std::string_view kFileExtension = ".ctseg";

struct Record {
  std::string_view log_url;     // "" when unknown (e.g. compacted from PEM without headers)
  uint64_t recorded_at_ms = 0;  // the log's timestamp of the first sighting; 0 when unknown
  std::string_view der;
};

// Collects records and turns them into framed blocks. Not thread-safe; owns
// a zstd compression context (about a megabyte at the default level).
class BlockBuilder {
 public:
  explicit BlockBuilder(int zstd_level = kDefaultLevel);
  ~BlockBuilder();
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  static constexpr int kDefaultLevel = 9;

  // Appends the block made of `records` to *out. InvalidArgument when a
  // record is over a bound (empty DER, DER or URL too long), or when there
  // are more than kMaxBlockRecords or kMaxRawBytes of them.
  absl::Status AppendBlock(const std::vector<Record>& records, std::string* out);

 private:
  void* cctx_;  // ZSTD_CCtx
  // Reused between blocks.
  std::string raw_;
  std::string body_;
  std::vector<std::string_view> logs_;
};

// What a scan found.
struct BlockView {
  uint64_t offset = 0;   // in the scanned buffer
  uint64_t size = 0;     // bytes, header included
  bool corrupt = false;  // bytes that are no block (counted as one bad block)
  uint32_t records = 0;  // as the header says (0 when corrupt)
  uint32_t raw_size = 0;
  uint64_t payload_hash = 0;
  std::string_view payload;  // the zstd frame (empty when corrupt)
};

class SegmentScanner {
 public:
  // `at_end_of_input`: nothing follows `buffer` (the file's current end), so
  // unresynchronisable bytes at its end are one corrupt region, not a tail.
  SegmentScanner(std::string_view buffer, bool at_end_of_input);
  // The next complete block or corrupt region; false when none is complete.
  bool Next(BlockView* block);
  size_t consumed() const { return consumed_; }

 private:
  std::string_view buffer_;
  bool at_end_;
  size_t consumed_ = 0;
};

// Decompresses and checks blocks. Not thread-safe; owns a zstd context and a
// reused buffer of at most kMaxRawBytes.
class BlockDecoder {
 public:
  BlockDecoder();
  ~BlockDecoder();
  BlockDecoder(const BlockDecoder&) = delete;
  BlockDecoder& operator=(const BlockDecoder&) = delete;

  // Calls `visit` for each record of a complete block, in order. DataLoss when
  // the payload's checksum fails, it does not decompress to raw_size, or the
  // records do not parse or number what the header says; then no record is
  // visited. The views passed to `visit` live until the next call.
  absl::Status Decode(const BlockView& block, absl::FunctionRef<void(const Record&)> visit);

 private:
  void* dctx_;  // ZSTD_DCtx
  std::string raw_;
  std::vector<std::string_view> logs_;
  std::vector<Record> records_;
};

}  // namespace ctmr::segment

#endif  // CT_COMMON_SEGMENT_SEGMENT_H_
