#include "fetcher/serial_index.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/base/file_util.h"

namespace ctmr::fetch {
namespace {

constexpr std::string_view kIndexMagic = "CTSI0001";
constexpr size_t kIndexHeader = 32;
constexpr uint64_t kTailBytes = 4096;

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// XXH3-64 of the segment bytes just before `end`; false when they cannot be read.
bool TailHash(const std::string& segment_path, uint64_t end, uint64_t* hash) {
  const uint64_t n = std::min(end, kTailBytes);
  std::string bytes(n, '\0');
  const int fd = ::open(segment_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t got = ::pread(fd, bytes.data(), n, static_cast<off_t>(end - n));
  ::close(fd);
  if (got != static_cast<ssize_t>(n)) return false;
  *hash = XXH3_64bits(bytes.data(), bytes.size());
  return true;
}

}  // namespace

bool SerialSet::Contains(const base::Hash128& h) const {
  return added_.contains(h) || std::binary_search(sorted_.begin(), sorted_.end(), h);
}

bool SerialSet::Insert(const base::Hash128& h) {
  if (std::binary_search(sorted_.begin(), sorted_.end(), h)) return false;
  return added_.insert(h).second;
}

size_t SerialSet::MemoryBytes() const {
  // flat_hash_set: one slot and one control byte per bucket.
  return sorted_.capacity() * sizeof(base::Hash128) +
         added_.bucket_count() * (sizeof(base::Hash128) + 1);
}

void SerialSet::Load(const std::string& index_path, const std::string& segment_path,
                     uint64_t segment_size) {
  sorted_.clear();
  added_.clear();
  covered_ = 0;
  absl::StatusOr<std::string> bytes = base::ReadFileToString(index_path);
  if (!bytes.ok()) return;  // none yet (or unreadable): rebuild
  const std::string& b = *bytes;
  auto ignore = [&](const char* why) {
    std::fprintf(stderr, "ct-fetch: ignoring %s (%s); rebuilding it from the segment\n",
                 index_path.c_str(), why);
  };
  if (b.size() < kIndexHeader + 8 || b.compare(0, 8, kIndexMagic) != 0) {
    ignore("not an index");
    return;
  }
  const uint64_t covered = GetU64(b.data() + 8);
  const uint64_t count = GetU64(b.data() + 16);
  const uint64_t tail = GetU64(b.data() + 24);
  if (count > (b.size() - kIndexHeader - 8) / 16 || b.size() != kIndexHeader + count * 16 + 8 ||
      XXH3_64bits(b.data(), b.size() - 8) != GetU64(b.data() + b.size() - 8)) {
    ignore("checksum");
    return;
  }
  uint64_t actual = 0;
  if (covered > segment_size || !TailHash(segment_path, covered, &actual) || actual != tail) {
    ignore("it does not match the segment");
    return;
  }
  sorted_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    sorted_.push_back(base::ReadHash(b.data() + kIndexHeader + i * 16));
  }
  if (!std::is_sorted(sorted_.begin(), sorted_.end())) {
    sorted_.clear();
    ignore("not sorted");
    return;
  }
  covered_ = covered;
}

absl::Status SerialSet::Save(const std::string& index_path, const std::string& segment_path,
                             uint64_t segment_size) {
  if (!added_.empty()) {
    const size_t old = sorted_.size();
    sorted_.reserve(old + added_.size());
    sorted_.insert(sorted_.end(), added_.begin(), added_.end());
    std::sort(sorted_.begin() + static_cast<ptrdiff_t>(old), sorted_.end());
    std::inplace_merge(sorted_.begin(), sorted_.begin() + static_cast<ptrdiff_t>(old),
                       sorted_.end());
    absl::flat_hash_set<base::Hash128>().swap(added_);
  }
  uint64_t tail = 0;
  if (!TailHash(segment_path, segment_size, &tail)) {
    return base::ErrnoStatus(errno, "cannot read", segment_path);
  }
  std::string out;
  out.reserve(kIndexHeader + sorted_.size() * 16 + 8);
  out.append(kIndexMagic);
  PutU64(&out, segment_size);
  PutU64(&out, sorted_.size());
  PutU64(&out, tail);
  for (const base::Hash128& h : sorted_) base::AppendHash(h, &out);
  PutU64(&out, XXH3_64bits(out.data(), out.size()));
  absl::Status s = base::WriteFileAtomically(index_path, out);
  if (s.ok()) covered_ = segment_size;
  return s;
}

}  // namespace ctmr::fetch
