// Split maps: the map of one date directory as N parts that own disjoint
// sets of issuers (file stems), run at once on several workers, and merged
// into one oracle.out (DESIGN.md §4, "--split-bytes").
//
// A certificate is (issuer = file stem, serial), so two parts never share
// one, and the merge is exact: the issuers' tallies are concatenated, the
// offsets too, the error counts summed. The merged tally is byte for byte the
// one a single map of the directory would commit.
//
// Steps:
//   1. the coordinator picks the stems of each part (BalanceStems over the
//      estimated certificates of UnmappedWorkByStem) and a plan id, and
//      removes older parts
//      (RemoveMapParts);
//   2. each part (DirectoryMapper::MapPart) continues its own issuers from the
//      committed oracle.out, reads only its own files' new bytes, within the
//      map's memory budget as any map, and writes its tally as a stream in
//      oracle.out's format to ROOT/state/map-parts/<date>/<plan>.part-K-of-N
//      (temp file, rename; its trailer and checksum guard it), then its
//      metadata (MapPart: plan, K, N, stems, the base oracle.out's identity,
//      the tally file's identity) to <plan>.part-K-of-N.meta;
//   3. when every part is done, MergeMapParts writes oracle.out as a stream
//      (temp file, fsync, rename): the new head (offsets), then every
//      issuer's encoded bytes in issuer_id order, copied as they are from the
//      part that owns it or from the committed oracle.out, never parsed nor
//      rebuilt (a read and a write of the file, in a small buffer), then the
//      summed error counts; and then removes the parts.
//
// Crash rule: oracle.out is only ever replaced whole, so a crash anywhere
// leaves the old tally or the new one. A part counts only for its own plan
// and the oracle.out it started from (MapPart.base, that file's trailer, which
// holds its checksum, and size): a part of another plan, of another N, or
// started from another oracle.out is stale, never merged, and removed with
// the folder. A part's tally whose checksum fails is never committed: the
// merge checks it on the way and aborts before the rename.
#ifndef CT_COMMON_MAP_MAP_PARTS_H_
#define CT_COMMON_MAP_MAP_PARTS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/tally/oracle_reader.h"
#include "common/tally/oracle_writer.h"
#include "proto/tally.pb.h"

namespace ctmr::map {

// Which part of a split map to run.
struct PartSpec {
  std::string plan_id;             // [A-Za-z0-9._-]+, unique per plan (the run id)
  uint32_t part = 0;               // K, 0 <= K < N
  uint32_t parts = 1;              // N >= 2
  std::vector<std::string> stems;  // the issuers this part owns
};

// InvalidArgument unless the spec is well formed (a plan id usable in a file
// name, K < N, N >= 2).
absl::Status CheckPartSpec(const PartSpec& spec);

// ROOT/state/map-parts/<date> for the date directory `dir` (ROOT/<date>).
std::string MapPartsDir(const std::string& dir);
// MapPartsDir(dir)/<plan>.part-K-of-N.
std::string MapPartPath(const std::string& dir, const std::string& plan_id, uint32_t part,
                        uint32_t parts);

// The identity of dir/oracle.out: its last 32 bytes (the trailer, which holds
// the tally's length and XXH3-128) and its size; empty when there is no such file.
absl::StatusOr<std::string> OracleBase(const std::string& dir);
// The same identity of any file of oracle.out's format (a part's tally).
absl::StatusOr<std::string> TallyFileIdentity(const std::string& path);

// MapPartPath(...) + ".meta": the part's MapPart, with the oracle.out trailer.
std::string MapPartMetaPath(const std::string& dir, const std::string& plan_id, uint32_t part,
                            uint32_t parts);

// A writer of part `spec`'s tally (oracle.out's format, written as a stream:
// tally::OracleWriter) at MapPartPath; Commit renames it without fsync (see
// map_parts.cc) and writes no oracle.out.offsets.
absl::StatusOr<std::unique_ptr<tally::OracleWriter>> CreateMapPartWriter(const std::string& dir,
                                                                         const PartSpec& spec);

// After the part's tally is committed: writes `meta` (its tally field set
// here to the tally file's identity) atomically, unsynced, at MapPartMetaPath.
absl::Status WriteMapPartMeta(const std::string& dir, MapPart meta);

// A part ready to merge: its metadata and its tally, open (sets not read).
struct LoadedPart {
  MapPart meta;
  tally::OracleReader tally;
};

// The part K of N of `plan_id` for `dir`. NotFound when there is none;
// DataLoss when it is cut short or corrupt; FailedPrecondition when it is
// stale (another plan, N or K, not started from `base`, a tally that is not
// the one its metadata names, an issuer it does not own). The tally's
// checksum is checked by the merge, as it reads it.
absl::StatusOr<LoadedPart> LoadMapPart(const std::string& dir, const std::string& plan_id,
                                       uint32_t part, uint32_t parts, const std::string& base);

struct MergeStats {
  bool committed = false;  // a new oracle.out was written
  uint32_t parts = 0;
};

// Merges the N parts of `plan_id` with the committed oracle.out of `dir` and
// commits the result, then removes MapPartsDir(dir). Issuers and files that no
// part owns keep their committed tally and offsets. An error (a part missing,
// stale or corrupt, stems owned twice) commits nothing and leaves the parts.
absl::StatusOr<MergeStats> MergeMapParts(const std::string& dir, const std::string& plan_id,
                                         uint32_t parts);

// Removes MapPartsDir(dir) and everything in it; OK when it does not exist.
absl::Status RemoveMapParts(const std::string& dir);

// What is left to map of one issuer.
struct StemWork {
  uint64_t bytes = 0;         // of its input files, not yet covered by the tally
  uint64_t certificates = 0;  // in those bytes, estimated (blocks, duplicates included)
};

// The work of each issuer's input files (.pem, .cer, .ctseg, not dot-files)
// in `dir` that `tally` does not cover yet; an issuer with none is left out.
// A map's time goes with the certificates it parses more than with the bytes
// (an RSA certificate is a third larger than an ECDSA one, for the same
// work), so each file's new bytes are also counted in certificates: divided
// by the bytes per certificate of a sample (256 KiB) where they start (PEM:
// its BEGIN lines; segment: its blocks' record counts; a .cer: one). The
// samples are read only when `estimate_certificates` is set (certificates
// stay 0 otherwise): a directory too small to split needs its sizes alone.
absl::StatusOr<std::map<std::string, StemWork>> UnmappedWorkByStem(
    const std::string& dir, const std::optional<DirectoryTally>& tally, bool estimate_certificates);

// Splits the stems into `parts` lists of similar totals of their weights
// (estimated certificates, or bytes), each list
// sorted; a part may be empty when there are fewer stems than parts. The
// largest stem first, each to the lightest part so far; then stems are moved
// or swapped between the heaviest and the lightest part while that lowers the
// heavier of the two (the split map takes as long as its heaviest part).
std::vector<std::vector<std::string>> BalanceStems(const std::map<std::string, uint64_t>& bytes,
                                                   uint32_t parts);

}  // namespace ctmr::map

#endif  // CT_COMMON_MAP_MAP_PARTS_H_
