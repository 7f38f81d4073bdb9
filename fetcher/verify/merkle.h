// RFC 6962 §2.1 Merkle Tree hashing: leaf and node hashes, a compact range
// that grows the tree hash of [0, n) one leaf at a time (what ct-fetch keeps in
// its state file), and verification of inclusion and consistency proofs.
//
// Hashes are 32-byte binary strings. Every function that takes a hash rejects
// one of another length, so a garbage or truncated value never verifies.
#ifndef CT_FETCHER_VERIFY_MERKLE_H_
#define CT_FETCHER_VERIFY_MERKLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ctmr::verify {

inline constexpr size_t kMerkleHashSize = 32;

// SHA-256(0x00 || leaf): the hash of one MerkleTreeLeaf.
std::string LeafHash(absl::string_view leaf);
// The same into out[0, kMerkleHashSize), without an allocation.
void LeafHashInto(absl::string_view leaf, char* out);
// SHA-256(0x01 || left || right).
std::string NodeHash(absl::string_view left, absl::string_view right);
// MTH({}) = SHA-256 of the empty string.
std::string EmptyTreeHash();

// The hashes of the maximal perfect subtrees that make up [0, size): one per
// set bit of `size`, largest (leftmost) first. Enough to append leaves and to
// compute the tree hash without keeping the leaves.
class CompactRange {
 public:
  CompactRange() = default;

  // Restores a range from its subtree hashes (as hashes() returns them).
  // kInvalidArgument unless there is exactly one 32-byte hash per set bit.
  static absl::StatusOr<CompactRange> FromHashes(uint64_t size, std::vector<std::string> hashes);
  // The same from base64 text, the state-file form (see SerializeBase64()).
  static absl::StatusOr<CompactRange> FromBase64(uint64_t size,
                                                 const std::vector<std::string>& hashes);

  // Adds the leaf with hash `leaf_hash` at index size(). kInvalidArgument if
  // the hash is not 32 bytes; kOutOfRange at 2^63 leaves.
  absl::Status Append(absl::string_view leaf_hash);
  // Append(LeafHash(leaf)) without allocating (ct-fetch's per-entry path).
  absl::Status AppendLeaf(absl::string_view leaf);

  uint64_t size() const { return size_; }
  std::vector<std::string> hashes() const;
  std::vector<std::string> SerializeBase64() const;

  // MTH of [0, size()); EmptyTreeHash() for an empty range.
  std::string Root() const;

 private:
  uint64_t size_ = 0;
  // hashes_[0, count_) are the range's; the rest are spare buffers.
  std::vector<std::string> hashes_;
  size_t count_ = 0;
};

// Checks an RFC 6962 audit path: that the leaf with hash `leaf_hash` sits at
// `index` in the tree of `size` leaves whose root is `root`. Returns OK, or
// kInvalidArgument (malformed arguments) / kDataLoss (the proof does not hold).
absl::Status VerifyInclusion(uint64_t index, uint64_t size, absl::string_view leaf_hash,
                             const std::vector<std::string>& proof, absl::string_view root);

// Checks an RFC 6962 consistency proof between the tree of `size1` leaves with
// root `root1` and the tree of `size2` leaves with root `root2`. Same results.
absl::Status VerifyConsistency(uint64_t size1, uint64_t size2, absl::string_view root1,
                               absl::string_view root2, const std::vector<std::string>& proof);

}  // namespace ctmr::verify

#endif  // CT_FETCHER_VERIFY_MERKLE_H_
