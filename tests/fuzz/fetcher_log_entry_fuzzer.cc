// Feeds arbitrary bytes to the log entry parsers: as a MerkleTreeLeaf (then
// the rest as extra_data), as a data tile, and as one TileLeaf. None may crash,
// read out of bounds or leak; an accepted leaf must re-serialize to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fetcher/verify/log_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  // Split at a byte-chosen point: leaf, then extra_data.
  const size_t split = size == 0 ? 0 : data[0] % (size + 1);
  const absl::string_view leaf = input.substr(0, split);
  absl::StatusOr<ctmr::verify::LogEntry> entry = ctmr::verify::ParseMerkleTreeLeaf(leaf);
  if (entry.ok()) {
    if (entry->merkle_tree_leaf != leaf) std::abort();
    if (ctmr::verify::ParseExtraData(input.substr(split), &*entry).ok()) {
      if (entry->chain.size() > ctmr::verify::kMaxChainLength) std::abort();
      (void)ctmr::verify::IssuerId(*entry);
    }
  }

  absl::string_view rest = input;
  absl::StatusOr<ctmr::verify::LogEntry> tile_leaf = ctmr::verify::ParseTileLeaf(&rest);
  if (tile_leaf.ok()) {
    if (rest.size() >= size) std::abort();  // must consume something
    if (tile_leaf->chain_fingerprints.size() > ctmr::verify::kMaxChainLength) std::abort();
    if (!ctmr::verify::ParseMerkleTreeLeaf(tile_leaf->merkle_tree_leaf).ok()) std::abort();
  }
  (void)ctmr::verify::ParseDataTile(input, 1 + (size % 256));
  return 0;
}
