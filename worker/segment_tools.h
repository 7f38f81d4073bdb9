// ct-worker's segment tools (DESIGN.md §2.1, README "Segments"):
//
//   cat      segment records as PEM text, so openssl, grep and scripts keep
//            working on a data root that ct-fetch writes as segments;
//   compact  a date directory's *.pem and *.cer files rewritten as one
//            <issuer>.ctseg per issuer, duplicates removed.
//
// Both read in bounded memory: files in chunks of x509::kReadChunkBytes plus
// at most one block carried over; compact holds one 16-byte hash per distinct
// serial of the issuer it is writing, and one block of records.
#ifndef CT_WORKER_SEGMENT_TOOLS_H_
#define CT_WORKER_SEGMENT_TOOLS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "common/segment/segment.h"

namespace ctmr::worker {

// Feeds the regular file `path` to `scan` from its start, in chunks of
// x509::kReadChunkBytes: `data` holds the bytes not consumed yet, starting at
// file offset `offset`; `at_end` says that nothing follows them. `scan`
// returns how many bytes it consumed; the rest (at most `max_carry`, the
// scanner's bound on one block) is passed again with the next chunk. Returns
// the file's size at open (bytes appended later are not read); `*end_offset`
// is the offset after the last consumed byte. FIFOs and devices are refused
// unread (FailedPrecondition); errors name the file.
absl::StatusOr<uint64_t> ScanFileInChunks(
    const std::string& path, size_t max_carry,
    absl::FunctionRef<size_t(std::string_view data, uint64_t offset, bool at_end)> scan,
    uint64_t* end_offset);

struct SegmentReadResult {
  uint64_t file_size = 0;
  uint64_t end_offset = 0;  // after the last complete block or corrupt region
  uint64_t blocks = 0;      // complete blocks and corrupt regions
  uint64_t bad_blocks = 0;  // of which corrupt (no header, checksum, records)
  uint64_t records = 0;     // visited
  // end_offset < file_size: a torn tail, a block that ct-fetch is writing or
  // that a crash cut short. It is neither visited nor bad (the map reads it
  // once it is complete; ct-fetch cuts it before it appends).
  bool torn_tail() const { return end_offset < file_size; }
};

// Reads the segment file `path` from its start: `visit` sees each record of
// each good block in order; `on_bad` each bad block: its offset in the file,
// its bytes (the whole block or region) and why it is bad. Errors (cannot
// open or read; not a regular file) name the file.
absl::StatusOr<SegmentReadResult> ReadSegmentFile(
    const std::string& path, absl::FunctionRef<void(const segment::Record&)> visit,
    absl::FunctionRef<void(uint64_t offset, std::string_view bytes, const absl::Status& why)>
        on_bad);

struct CatResult {
  uint64_t records = 0;
  uint64_t bad_blocks = 0;
  uint64_t failed_paths = 0;  // could not be read (or a directory not listed)
  bool ok() const { return bad_blocks == 0 && failed_paths == 0; }
};

// `ct-worker cat`: each record of the segment files `paths` (a directory
// stands for its *.ctseg files in name order) as a PEM block with Log and
// Recorded-at headers when known (x509::FormatPemBlock), passed to `out` in
// pieces. Each bad block, torn tail and unreadable path is one line (no
// newline) to `warn`, naming the file and the offset; cat goes on.
CatResult CatSegments(const std::vector<std::string>& paths,
                      absl::FunctionRef<void(std::string_view text)> out,
                      absl::FunctionRef<void(const std::string& line)> warn);

struct CompactStats {
  uint64_t segments_written = 0;    // issuers whose <issuer>.ctseg was (re)written
  uint64_t sources_removed = 0;     // .pem and .cer files merged, then removed
  uint64_t records = 0;             // records in the segments written
  uint64_t certificates = 0;        // of which certificates
  uint64_t unparseable = 0;         // of which blocks that are no certificate, kept
  uint64_t duplicates = 0;          // certificates dropped: their (issuer, serial) came before
  uint64_t bad_segment_blocks = 0;  // of existing segments, copied as they were
  uint64_t torn_tails = 0;          // incomplete last blocks dropped (never counted by the map)
  uint64_t bytes_before = 0;        // sources and segments read
  uint64_t bytes_after = 0;         // segments written
};

// `ct-worker compact DIR`: rewrites the date directory `dir` so that each
// issuer (file stem) with *.pem or *.cer files has one <issuer>.ctseg holding
// the union of its existing segment (first) and those files, in that order,
// each certificate (issuer, serial) once, with the Log and Recorded-at of its
// first copy; then removes the sources. Blocks that are not certificates (the
// map's unparseable blocks) cannot be de-duplicated by serial and are kept as
// records, as many as the sources had, so the map counts them as before:
// those that decode from base64 keep their bytes, the others become a fixed
// record that no parser reads ("\0" + kUnparseableMarker). Bad blocks of an
// existing segment are copied as they were; incomplete last blocks, which no
// map has counted, are dropped.
//
// Commit: <issuer>.ctseg.tmp, fsync, rename, fsync of the directory, then the
// sources are removed. The result is a union, so running compact again after
// a crash at any point gives the same directory: a stale .tmp is removed; a
// segment already merged absorbs its sources again without change (the
// unparseable records of an issuer are the larger of the two counts).
//
// Before it changes anything it removes the directory's oracle.out and
// oracle.out.offsets (fsynced): their offsets name the PEM files, so the next
// map maps the directory again from the start, exactly.
//
// It holds the data root's locks (the parent of `dir`: state/ct-fetch.lock and
// state/coordinator.lock) while it works: FailedPrecondition, naming the
// holder, when a ct-fetch or ct-coordinator run holds one. Other errors name
// the file.
absl::StatusOr<CompactStats> CompactDirectory(const std::string& dir);

// The record that stands for a block that is neither a certificate nor
// decodable bytes: "\0" followed by this text, which no DER parser reads.
inline constexpr std::string_view kUnparseableMarker = "ct-worker compact: not a certificate";

}  // namespace ctmr::worker

#endif  // CT_WORKER_SEGMENT_TOOLS_H_
