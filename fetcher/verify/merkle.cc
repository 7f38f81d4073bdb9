#include "fetcher/verify/merkle.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "fetcher/verify/codec.h"

namespace ctmr::verify {
namespace {

absl::Status CheckHash(absl::string_view hash, absl::string_view what) {
  if (hash.size() != kMerkleHashSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is ", hash.size(), " bytes, not ", kMerkleHashSize));
  }
  return absl::OkStatus();
}

absl::Status CheckProof(const std::vector<std::string>& proof) {
  for (const std::string& h : proof) {
    if (h.size() != kMerkleHashSize) return absl::InvalidArgumentError("malformed proof hash");
  }
  return absl::OkStatus();
}

int PopCount(uint64_t v) { return __builtin_popcountll(v); }

}  // namespace

void LeafHashInto(absl::string_view leaf, char* out) {
  Sha256Into({absl::string_view("\x00", 1), leaf}, out);
}

std::string LeafHash(absl::string_view leaf) {
  std::string out(kMerkleHashSize, '\0');
  LeafHashInto(leaf, out.data());
  return out;
}

std::string NodeHash(absl::string_view left, absl::string_view right) {
  std::string out(kMerkleHashSize, '\0');
  Sha256Into({absl::string_view("\x01", 1), left, right}, out.data());
  return out;
}

std::string EmptyTreeHash() { return Sha256(""); }

absl::StatusOr<CompactRange> CompactRange::FromHashes(uint64_t size,
                                                      std::vector<std::string> hashes) {
  if (size > (uint64_t{1} << 63)) return absl::InvalidArgumentError("compact range too large");
  if (hashes.size() != static_cast<size_t>(PopCount(size))) {
    return absl::InvalidArgumentError(absl::StrCat("compact range of size ", size, " needs ",
                                                   PopCount(size), " hashes, got ", hashes.size()));
  }
  for (const std::string& h : hashes) {
    absl::Status s = CheckHash(h, "compact range hash");
    if (!s.ok()) return s;
  }
  CompactRange range;
  range.size_ = size;
  range.count_ = hashes.size();
  range.hashes_ = std::move(hashes);
  return range;
}

absl::StatusOr<CompactRange> CompactRange::FromBase64(uint64_t size,
                                                      const std::vector<std::string>& hashes) {
  if (hashes.size() > 64) return absl::InvalidArgumentError("too many compact range hashes");
  std::vector<std::string> raw;
  raw.reserve(hashes.size());
  for (const std::string& text : hashes) {
    absl::StatusOr<std::string> h = DecodeBase64Strict(text);
    if (!h.ok()) return h.status();
    raw.push_back(*std::move(h));
  }
  return FromHashes(size, std::move(raw));
}

absl::Status CompactRange::Append(absl::string_view leaf_hash) {
  absl::Status s = CheckHash(leaf_hash, "leaf hash");
  if (!s.ok()) return s;
  if (size_ >= (uint64_t{1} << 63)) return absl::OutOfRangeError("compact range is full");
  // Each trailing one bit of the old size is a subtree of the same height as
  // the one just completed: merge them, right to left, in place (the hashes'
  // strings keep their buffers: no allocation per leaf).
  char node[kMerkleHashSize];
  std::copy(leaf_hash.begin(), leaf_hash.end(), node);
  uint64_t bits = size_;
  for (; bits & 1; bits >>= 1) {
    Sha256Into({absl::string_view("\x01", 1), hashes_[count_ - 1],
                absl::string_view(node, kMerkleHashSize)},
               node);
    --count_;
  }
  if (count_ == hashes_.size()) hashes_.emplace_back(kMerkleHashSize, '\0');
  hashes_[count_].assign(node, kMerkleHashSize);
  ++count_;
  ++size_;
  return absl::OkStatus();
}

absl::Status CompactRange::AppendLeaf(absl::string_view leaf) {
  char hash[kMerkleHashSize];
  LeafHashInto(leaf, hash);
  return Append(absl::string_view(hash, kMerkleHashSize));
}

std::vector<std::string> CompactRange::hashes() const {
  return std::vector<std::string>(hashes_.begin(), hashes_.begin() + static_cast<long>(count_));
}

std::vector<std::string> CompactRange::SerializeBase64() const {
  std::vector<std::string> out;
  out.reserve(count_);
  for (size_t i = 0; i < count_; ++i) out.push_back(EncodeBase64(hashes_[i]));
  return out;
}

std::string CompactRange::Root() const {
  if (count_ == 0) return EmptyTreeHash();
  std::string root = hashes_[count_ - 1];
  for (size_t i = count_ - 1; i-- > 0;) root = NodeHash(hashes_[i], root);
  return root;
}

// RFC 9162 §2.1.3.2.
absl::Status VerifyInclusion(uint64_t index, uint64_t size, absl::string_view leaf_hash,
                             const std::vector<std::string>& proof, absl::string_view root) {
  absl::Status s = CheckHash(leaf_hash, "leaf hash");
  if (s.ok()) s = CheckHash(root, "root");
  if (s.ok()) s = CheckProof(proof);
  if (!s.ok()) return s;
  if (index >= size) {
    return absl::InvalidArgumentError(absl::StrCat("index ", index, " not below size ", size));
  }
  uint64_t fn = index;
  uint64_t sn = size - 1;
  std::string r(leaf_hash);
  for (const std::string& p : proof) {
    if (sn == 0) return absl::DataLossError("inclusion proof too long");
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      if (!(fn & 1)) {
        while (fn != 0 && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::DataLossError("inclusion proof too short");
  if (r != root) return absl::DataLossError("inclusion proof does not match the root");
  return absl::OkStatus();
}

// RFC 9162 §2.1.4.2.
absl::Status VerifyConsistency(uint64_t size1, uint64_t size2, absl::string_view root1,
                               absl::string_view root2, const std::vector<std::string>& proof) {
  absl::Status s = CheckHash(root1, "first root");
  if (s.ok()) s = CheckHash(root2, "second root");
  if (s.ok()) s = CheckProof(proof);
  if (!s.ok()) return s;
  if (size2 < size1) {
    return absl::InvalidArgumentError(absl::StrCat("size2 ", size2, " < size1 ", size1));
  }
  if (size1 == size2) {
    if (!proof.empty()) return absl::InvalidArgumentError("equal sizes need an empty proof");
    if (root1 != root2) return absl::DataLossError("equal sizes but different roots");
    return absl::OkStatus();
  }
  if (size1 == 0) {
    // Every tree is consistent with the empty one; a proof means confusion.
    if (!proof.empty()) return absl::InvalidArgumentError("proof from the empty tree");
    if (root1 != EmptyTreeHash()) return absl::DataLossError("wrong root of the empty tree");
    return absl::OkStatus();
  }
  if (proof.empty()) return absl::InvalidArgumentError("empty consistency proof");

  std::vector<absl::string_view> path;
  path.reserve(proof.size() + 1);
  if ((size1 & (size1 - 1)) == 0) path.push_back(root1);
  for (const std::string& p : proof) path.push_back(p);

  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr(path[0]);
  std::string sr(path[0]);
  for (size_t i = 1; i < path.size(); ++i) {
    const absl::string_view c = path[i];
    if (sn == 0) return absl::DataLossError("consistency proof too long");
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if (!(fn & 1)) {
        while (fn != 0 && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::DataLossError("consistency proof too short");
  if (fr != root1) return absl::DataLossError("consistency proof does not match the first root");
  if (sr != root2) return absl::DataLossError("consistency proof does not match the second root");
  return absl::OkStatus();
}

}  // namespace ctmr::verify
