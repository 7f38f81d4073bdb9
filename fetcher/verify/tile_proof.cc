#include "fetcher/verify/tile_proof.h"

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "fetcher/verify/codec.h"
#include "fetcher/verify/merkle.h"

namespace ctmr::verify {
namespace {

// Largest power of two strictly less than `n` (n ≥ 2).
uint64_t LargestPowerOfTwoBelow(uint64_t n) {
  uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

int Log2(uint64_t power_of_two) {
  int k = 0;
  while ((uint64_t{1} << k) < power_of_two) ++k;
  return k;
}

}  // namespace

// Computes node hashes of the tree of `n` leaves from its tiles, keeping the
// tiles it has read (TileProver: for as long as the prover lives).
class TileTree {
 public:
  static constexpr size_t kMaxKeptTiles = 64;  // 8 KiB each

  TileTree(uint64_t n, HashTileFetcher fetch) : n_(n), fetch_(std::move(fetch)) {}

  // MTH(D[lo:hi]). Every call made by the proof recursion has `lo` aligned to
  // the largest power of two ≤ hi − lo, so a power-of-two range is one node.
  absl::StatusOr<std::string> SubtreeHash(uint64_t lo, uint64_t hi) {
    const uint64_t size = hi - lo;
    if ((size & (size - 1)) == 0) {
      const int height = Log2(size);
      return PerfectNode(height, lo >> height);
    }
    const uint64_t k = LargestPowerOfTwoBelow(size);
    ASSIGN_OR_RETURN(std::string left, SubtreeHash(lo, lo + k));
    ASSIGN_OR_RETURN(std::string right, SubtreeHash(lo + k, hi));
    return NodeHash(left, right);
  }

 private:
  // The node at `height` covering leaves [index·2^height, (index+1)·2^height).
  absl::StatusOr<std::string> PerfectNode(int height, uint64_t index) {
    const int level = height / 8;
    const int rest = height % 8;
    const uint64_t first = index << rest;  // first node at height 8·level
    const uint64_t count = uint64_t{1} << rest;
    const uint64_t level_size = n_ >> (8 * level);  // complete nodes at that height
    if (first + count > level_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", height, "/", index, " is not complete in a tree of ", n_));
    }
    const uint64_t tile = first / kHashTileWidth;
    const uint64_t width = std::min(kHashTileWidth, level_size - tile * kHashTileWidth);
    const std::vector<std::string>* hashes = nullptr;
    auto it = tiles_.find({level, tile});
    if (it != tiles_.end()) {
      hashes = &it->second;
    } else {
      ASSIGN_OR_RETURN(std::vector<std::string> fetched, fetch_(level, tile, width));
      if (fetched.size() != width) {
        return absl::InvalidArgumentError(absl::StrCat("hash tile ", level, "/", tile, " has ",
                                                       fetched.size(), " hashes, not ", width));
      }
      for (const std::string& h : fetched) {
        if (h.size() != kMerkleHashSize) {
          return absl::InvalidArgumentError(absl::StrCat("hash tile ", level, "/", tile,
                                                         " holds a hash of ", h.size(), " bytes"));
        }
      }
      // Bounded: a catch-up of 10⁹ entries walks millions of level-0 tiles;
      // the ones a round shares with the next are the few it read last.
      if (tiles_.size() >= kMaxKeptTiles) tiles_.clear();
      hashes = &tiles_.emplace(std::make_pair(level, tile), std::move(fetched)).first->second;
    }
    const size_t offset = first % kHashTileWidth;
    // Folded in a reused buffer: a round's proof hashes up to 255 nodes of a
    // tile, which as strings cost an allocation each.
    row_.resize(count * kMerkleHashSize);
    for (uint64_t i = 0; i < count; ++i) {
      std::copy((*hashes)[offset + i].begin(), (*hashes)[offset + i].end(),
                row_.begin() + static_cast<long>(i * kMerkleHashSize));
    }
    for (uint64_t width = count; width > 1; width /= 2) {
      for (uint64_t i = 0; i < width / 2; ++i) {
        const absl::string_view left(row_.data() + 2 * i * kMerkleHashSize, kMerkleHashSize);
        const absl::string_view right(row_.data() + (2 * i + 1) * kMerkleHashSize, kMerkleHashSize);
        Sha256Into({absl::string_view("\x01", 1), left, right}, row_.data() + i * kMerkleHashSize);
      }
    }
    return std::string(row_.data(), kMerkleHashSize);
  }

  uint64_t n_;
  HashTileFetcher fetch_;
  std::map<std::pair<int, uint64_t>, std::vector<std::string>> tiles_;
  std::string row_;
};

namespace {

// RFC 6962 §2.1.2 SUBPROOF(m, D[lo:hi], complete).
absl::Status SubProof(uint64_t m, uint64_t lo, uint64_t hi, bool complete, TileTree* tree,
                      std::vector<std::string>* proof) {
  const uint64_t size = hi - lo;
  if (m == size) {
    if (complete) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::string h, tree->SubtreeHash(lo, hi));
    proof->push_back(std::move(h));
    return absl::OkStatus();
  }
  const uint64_t k = LargestPowerOfTwoBelow(size);
  if (m <= k) {
    RETURN_IF_ERROR(SubProof(m, lo, lo + k, complete, tree, proof));
    ASSIGN_OR_RETURN(std::string right, tree->SubtreeHash(lo + k, hi));
    proof->push_back(std::move(right));
  } else {
    RETURN_IF_ERROR(SubProof(m - k, lo + k, hi, /*complete=*/false, tree, proof));
    ASSIGN_OR_RETURN(std::string left, tree->SubtreeHash(lo, lo + k));
    proof->push_back(std::move(left));
  }
  return absl::OkStatus();
}

}  // namespace

TileProver::TileProver(uint64_t n, HashTileFetcher fetch)
    : n_(n), tree_(std::make_unique<TileTree>(n, std::move(fetch))) {}

TileProver::~TileProver() = default;

absl::StatusOr<std::vector<std::string>> TileProver::ConsistencyProof(uint64_t m) {
  if (m == 0 || m > n_ || n_ > (uint64_t{1} << 62)) {
    return absl::InvalidArgumentError(
        absl::StrCat("no consistency proof from size ", m, " to size ", n_));
  }
  std::vector<std::string> proof;
  RETURN_IF_ERROR(SubProof(m, 0, n_, /*complete=*/true, tree_.get(), &proof));
  return proof;
}

absl::StatusOr<std::vector<std::string>> ConsistencyProofFromTiles(uint64_t m, uint64_t n,
                                                                   const HashTileFetcher& fetch) {
  return TileProver(n, fetch).ConsistencyProof(m);
}

absl::StatusOr<std::vector<std::string>> ParseHashTile(const std::string& body, uint64_t width) {
  if (width == 0 || width > kHashTileWidth || body.size() != width * kMerkleHashSize) {
    return absl::InvalidArgumentError(absl::StrCat("a hash tile of width ", width, " has ",
                                                   body.size(), " bytes, not ",
                                                   width * kMerkleHashSize));
  }
  std::vector<std::string> hashes;
  hashes.reserve(width);
  for (uint64_t i = 0; i < width; ++i) {
    hashes.push_back(body.substr(i * kMerkleHashSize, kMerkleHashSize));
  }
  return hashes;
}

}  // namespace ctmr::verify
