// Consistency proofs for static-ct-api (tiled) logs, built from hash tiles.
//
// A tiled log serves no proofs, only tiles: a level-L tile holds the hashes of
// the nodes at height 8·L, 256 to a tile. Any perfect subtree hash — and so any
// RFC 6962 §2.1.2 consistency proof — can be computed from them. ct-fetch uses
// this to prove that the leaves it fetched so far, [0, m), are a prefix of the
// checkpoint's tree of n leaves, and so can write them before it has fetched
// the rest: the proof is checked with VerifyConsistency() against the root of
// the fetched leaves and the signed root, so a tile that lies makes the check
// fail rather than pass.
#ifndef CT_FETCHER_VERIFY_TILE_PROOF_H_
#define CT_FETCHER_VERIFY_TILE_PROOF_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ctmr::verify {

inline constexpr uint64_t kHashTileWidth = 256;

// Returns the first `width` (1..256) hashes of tile `index` at tile level
// `level` in a tree whose size makes exactly that many of them complete.
using HashTileFetcher = std::function<absl::StatusOr<std::vector<std::string>>(
    int level, uint64_t index, uint64_t width)>;

// The RFC 6962 consistency proof from the tree of `m` leaves to the tree of
// `n` leaves (0 < m ≤ n), built from the tiles of the tree of `n` leaves.
// kInvalidArgument for sizes out of range or a fetcher that returns the wrong
// number or length of hashes; other errors are the fetcher's.
absl::StatusOr<std::vector<std::string>> ConsistencyProofFromTiles(uint64_t m, uint64_t n,
                                                                   const HashTileFetcher& fetch);

class TileTree;

// ConsistencyProofFromTiles for many m against one tree of `n` leaves, keeping
// the tiles it has read between proofs: a tiled log's consecutive rounds prove
// [0, m₁), [0, m₂), … against one checkpoint and share most of their tiles.
// A tile that lies makes every later proof fail too: drop the prover then.
// Not thread-safe.
class TileProver {
 public:
  TileProver(uint64_t n, HashTileFetcher fetch);
  ~TileProver();
  TileProver(const TileProver&) = delete;
  TileProver& operator=(const TileProver&) = delete;

  uint64_t tree_size() const { return n_; }
  absl::StatusOr<std::vector<std::string>> ConsistencyProof(uint64_t m);

 private:
  uint64_t n_;
  std::unique_ptr<TileTree> tree_;
};

// Splits the hashes of a hash tile body (32 bytes each) — kInvalidArgument if
// the body is not exactly `width` hashes.
absl::StatusOr<std::vector<std::string>> ParseHashTile(const std::string& body, uint64_t width);

}  // namespace ctmr::verify

#endif  // CT_FETCHER_VERIFY_TILE_PROOF_H_
