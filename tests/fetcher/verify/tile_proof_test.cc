#include "fetcher/verify/tile_proof.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fetcher/verify/merkle.h"

namespace ctmr::verify {
namespace {

// A tiled log held in memory: the leaf hashes and, for each tile level L, the
// hashes of the complete nodes at height 8·L, computed independently of
// tile_proof.cc by pairing neighbours.
class MemoryTiledLog {
 public:
  explicit MemoryTiledLog(uint64_t n) {
    std::vector<std::string> row;
    for (uint64_t i = 0; i < n; ++i) {
      row.push_back(LeafHash(absl::StrCat("leaf ", i)));
    }
    for (int height = 0; !row.empty(); ++height) {
      if (height % 8 == 0) levels_.push_back(row);
      std::vector<std::string> up;
      for (size_t i = 0; i + 1 < row.size(); i += 2) up.push_back(NodeHash(row[i], row[i + 1]));
      row = std::move(up);
    }
    CompactRange r;
    roots_.push_back(r.Root());
    for (uint64_t i = 0; i < n; ++i) {
      EXPECT_TRUE(r.Append(levels_[0][i]).ok());
      roots_.push_back(r.Root());
    }
  }

  // The root of the first `size` leaves.
  const std::string& Root(uint64_t size) const { return roots_[size]; }

  HashTileFetcher Fetcher(int* fetches = nullptr) {
    return [this, fetches](int level, uint64_t index,
                           uint64_t width) -> absl::StatusOr<std::vector<std::string>> {
      if (fetches != nullptr) ++*fetches;
      const std::vector<std::string>& hashes = levels_.at(level);
      const uint64_t first = index * kHashTileWidth;
      EXPECT_LE(first + width, hashes.size());
      std::vector<std::string> tile(hashes.begin() + first, hashes.begin() + first + width);
      if (tampered_level_ == level && tampered_index_ >= first && tampered_index_ < first + width) {
        tile[tampered_index_ - first][0] ^= 1;
      }
      return tile;
    };
  }

  void Tamper(int level, uint64_t index) {
    tampered_level_ = level;
    tampered_index_ = index;
  }

 private:
  std::vector<std::vector<std::string>> levels_;
  std::vector<std::string> roots_;
  int tampered_level_ = -1;
  uint64_t tampered_index_ = 0;
};

TEST(TileProofTest, ProofsFromTilesVerifyForEveryPrefixOfASmallTree) {
  for (uint64_t n : {1, 2, 3, 7, 8, 255, 256, 257, 300}) {
    MemoryTiledLog log(n);
    for (uint64_t m = 1; m <= n; ++m) {
      absl::StatusOr<std::vector<std::string>> proof =
          ConsistencyProofFromTiles(m, n, log.Fetcher());
      ASSERT_TRUE(proof.ok()) << proof.status() << " m=" << m << " n=" << n;
      EXPECT_TRUE(VerifyConsistency(m, n, log.Root(m), log.Root(n), *proof).ok())
          << "m=" << m << " n=" << n;
    }
  }
}

TEST(TileProofTest, ProofsSpanTwoTileLevels) {
  // 70,001 leaves: level-1 tiles (height 8) and a partial level-2 tile (height 16).
  const uint64_t n = 70'001;
  MemoryTiledLog log(n);
  int fetches = 0;
  for (uint64_t m : {uint64_t{256}, uint64_t{4096}, uint64_t{65'536}, uint64_t{65'792},
                     uint64_t{69'888}, uint64_t{70'000}, n}) {
    absl::StatusOr<std::vector<std::string>> proof =
        ConsistencyProofFromTiles(m, n, log.Fetcher(&fetches));
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_TRUE(VerifyConsistency(m, n, log.Root(m), log.Root(n), *proof).ok()) << "m=" << m;
  }
  // A handful of tiles per proof, not one per leaf.
  EXPECT_LT(fetches, 7 * 6);
}

TEST(TileProofTest, ALyingTileMakesTheProofFail) {
  const uint64_t n = 1000;
  MemoryTiledLog log(n);
  // Leaves [768, 896) enter the proof through their level-0 hashes.
  log.Tamper(/*level=*/0, /*index=*/800);
  absl::StatusOr<std::vector<std::string>> proof = ConsistencyProofFromTiles(512, n, log.Fetcher());
  ASSERT_TRUE(proof.ok());
  EXPECT_FALSE(VerifyConsistency(512, n, log.Root(512), log.Root(n), *proof).ok());
}

TEST(TileProofTest, AFetcherReturningTheWrongWidthIsAnError) {
  HashTileFetcher short_tiles = [](int, uint64_t,
                                   uint64_t width) -> absl::StatusOr<std::vector<std::string>> {
    return std::vector<std::string>(width - 1, std::string(32, 'x'));
  };
  EXPECT_EQ(ConsistencyProofFromTiles(3, 5, short_tiles).status().code(),
            absl::StatusCode::kInvalidArgument);
  HashTileFetcher short_hashes = [](int, uint64_t,
                                    uint64_t width) -> absl::StatusOr<std::vector<std::string>> {
    return std::vector<std::string>(width, std::string(31, 'x'));
  };
  EXPECT_EQ(ConsistencyProofFromTiles(3, 5, short_hashes).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TileProofTest, FetcherErrorsPassThrough) {
  HashTileFetcher unavailable = [](int, uint64_t,
                                   uint64_t) -> absl::StatusOr<std::vector<std::string>> {
    return absl::UnavailableError("down");
  };
  EXPECT_EQ(ConsistencyProofFromTiles(3, 5, unavailable).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(TileProofTest, SizesOutOfRangeAreRejected) {
  MemoryTiledLog log(4);
  EXPECT_FALSE(ConsistencyProofFromTiles(0, 4, log.Fetcher()).ok());
  EXPECT_FALSE(ConsistencyProofFromTiles(5, 4, log.Fetcher()).ok());
}

TEST(TileProofTest, ParseHashTileSplitsExactly) {
  ASSERT_TRUE(ParseHashTile(std::string(64, 'a'), 2).ok());
  EXPECT_EQ(ParseHashTile(std::string(64, 'a'), 2)->size(), 2u);
  EXPECT_FALSE(ParseHashTile(std::string(63, 'a'), 2).ok());
  EXPECT_FALSE(ParseHashTile(std::string(0, 'a'), 0).ok());
  EXPECT_FALSE(ParseHashTile(std::string(257 * 32, 'a'), 257).ok());
}

}  // namespace
}  // namespace ctmr::verify
