// ct-fetch's position in one log: ROOT/state/<name>.json, replaced atomically
// (WriteFileAtomically) only after the entries it covers are fsync'd.
//
//   {"url": "...", "next_index": N,
//    "tree_head": {"tree_size": S, "root_hash": "<b64>", "timestamp": T},
//    "compact_range": ["<b64>", ...]}
//
// `compact_range` is the CompactRange of the leaves [0, next_index), every one
// of them proven to belong to `tree_head`, the last verified signed head.
//
// A log is its key: the file is named after the log ID, and every head is
// verified with that key and proven consistent with `tree_head`. `url` only
// records where the state was last read from, so a log that moves, or one
// followed through the other API, resumes from the same state.
#ifndef CT_FETCHER_FETCH_STATE_H_
#define CT_FETCHER_FETCH_STATE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fetcher/verify/merkle.h"
#include "fetcher/verify/tree_head.h"

namespace ctmr::fetch {

struct FetchState {
  std::string url;
  uint64_t next_index = 0;
  verify::SignedTreeHead tree_head;  // tree_size 0 until a head is verified
  verify::CompactRange range;        // range.size() == next_index
};

// A file name for a log: its base64 log ID made file-safe (base64url), or, with
// no log ID, the URL without scheme with every other character than
// [A-Za-z0-9._-] replaced by '_'.
std::string StateFileStem(absl::string_view log_id_base64, absl::string_view url);

// ROOT/state/<stem>.json
std::string StateFilePath(absl::string_view data_dir, absl::string_view stem);

// Reads a state file; a missing file is a fresh state. The state's url is set
// to `url`. Errors (kDataLoss for a corrupt file) name the file.
absl::StatusOr<FetchState> LoadFetchState(const std::string& path, absl::string_view url);

// Replaces the state file atomically and durably (creates ROOT/state/).
absl::Status SaveFetchState(const std::string& path, const FetchState& state);

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_FETCH_STATE_H_
