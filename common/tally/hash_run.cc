#include "common/tally/hash_run.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"

namespace ctmr::tally {
namespace {

constexpr uint64_t kPageRecords = 256;  // 4 KiB

absl::Status PreadExactly(int fd, const std::string& path, uint64_t pos, size_t n, char* out) {
  while (n > 0) {
    const ssize_t got = ::pread(fd, out, n, static_cast<off_t>(pos));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return base::ErrnoStatus(errno, "cannot read", path);
    if (got == 0) return absl::DataLossError(absl::StrCat(path, ": a hash run is cut short"));
    out += got;
    pos += static_cast<uint64_t>(got);
    n -= static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

}  // namespace

HashRunWriter::HashRunWriter(int fd, std::string path, uint64_t offset, size_t buffer_bytes)
    : fd_(fd),
      path_(std::move(path)),
      written_(offset),
      run_start_(offset),
      capacity_(std::max<size_t>(buffer_bytes / 16 * 16, 16)) {
  buffer_.reserve(capacity_);
}

void HashRunWriter::Add(const base::Hash128& h) {
  base::AppendHash(h, &buffer_);
  if (buffer_.size() >= capacity_) status_.Update(Flush());
}

absl::StatusOr<SetSpan> HashRunWriter::EndRun() {
  if (!status_.ok()) return status_;
  const SetSpan span{run_start_, (end() - run_start_) / 16};
  run_start_ = end();
  return span;
}

absl::Status HashRunWriter::Flush() {
  RETURN_IF_ERROR(status_);
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::pwrite(fd_, buffer_.data() + done, buffer_.size() - done,
                               static_cast<off_t>(written_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status_ = base::ErrnoStatus(errno, "cannot write", path_);
      return status_;
    }
    done += static_cast<size_t>(n);
  }
  written_ += buffer_.size();
  buffer_.clear();
  return absl::OkStatus();
}

HashRunCursor::HashRunCursor(int fd, const std::string* path, SetSpan span, size_t buffer_bytes)
    : fd_(fd), path_(path), span_(span), buffer_records_(std::max<size_t>(buffer_bytes / 16, 1)) {}

HashRunCursor::HashRunCursor(const HashSet* sorted) : span_{0, sorted->size()}, memory_(sorted) {}

absl::Status HashRunCursor::Next() {
  if (next_ >= span_.count) {
    done_ = true;
    return absl::OkStatus();
  }
  base::Hash128 h;
  if (memory_ != nullptr) {
    h = (*memory_)[next_];
  } else {
    if (next_ >= buffer_first_ + buffer_.size() / 16 || next_ < buffer_first_) {
      const uint64_t n = std::min<uint64_t>(buffer_records_, span_.count - next_);
      buffer_.resize(static_cast<size_t>(n * 16));
      buffer_first_ = next_;
      RETURN_IF_ERROR(
          PreadExactly(fd_, *path_, span_.offset + next_ * 16, buffer_.size(), buffer_.data()));
    }
    h = base::ReadHash(buffer_.data() + (next_ - buffer_first_) * 16);
    if (started_ && !(current_ < h)) {
      return absl::DataLossError(absl::StrCat(
          *path_, ": a hash set is not sorted; the next map maps the directory again"));
    }
  }
  current_ = h;
  started_ = true;
  ++next_;
  return absl::OkStatus();
}

absl::Status MergeRuns(std::vector<HashRunCursor>* runs,
                       absl::FunctionRef<void(const base::Hash128&)> visit) {
  // Few runs (one per spill, and the committed tally): a linear scan for the
  // smallest is cheaper than a heap.
  std::vector<HashRunCursor*> live;
  for (HashRunCursor& c : *runs) {
    RETURN_IF_ERROR(c.Next());
    if (!c.done()) live.push_back(&c);
  }
  while (!live.empty()) {
    base::Hash128 least = live[0]->current();
    for (size_t i = 1; i < live.size(); ++i) least = std::min(least, live[i]->current());
    visit(least);
    for (size_t i = 0; i < live.size();) {
      if (live[i]->current() == least) {
        RETURN_IF_ERROR(live[i]->Next());
        if (live[i]->done()) {
          live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
          continue;
        }
      }
      ++i;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RunContains(int fd, const std::string& path, const SetSpan& span,
                                 const base::Hash128& h, std::string* page) {
  if (span.count == 0) return false;
  const auto guess =
      static_cast<uint64_t>((static_cast<unsigned __int128>(h.high) * span.count) >> 64);
  uint64_t lo = guess > kPageRecords / 2 ? guess - kPageRecords / 2 : 0;
  uint64_t hi = std::min(span.count, lo + kPageRecords);
  lo = hi > kPageRecords ? std::min(lo, hi - kPageRecords) : 0;
  page->resize(static_cast<size_t>((hi - lo) * 16));
  RETURN_IF_ERROR(PreadExactly(fd, path, span.offset + lo * 16, page->size(), page->data()));
  const auto at = [&](uint64_t i) { return base::ReadHash(page->data() + (i - lo) * 16); };
  uint64_t a = lo, b = hi;  // first record >= h, within the page
  if (at(lo) < h && !(at(hi - 1) < h)) {
    while (a < b) {
      const uint64_t mid = a + (b - a) / 2;
      if (at(mid) < h) {
        a = mid + 1;
      } else {
        b = mid;
      }
    }
    return at(a) == h;
  }
  if (at(lo) == h) return true;
  // Outside the page: search the rest of the run, a record at a time.
  if (at(lo) < h) {
    a = hi, b = span.count;
  } else {
    a = 0, b = lo;
  }
  char record[16];
  while (a < b) {
    const uint64_t mid = a + (b - a) / 2;
    RETURN_IF_ERROR(PreadExactly(fd, path, span.offset + mid * 16, 16, record));
    const base::Hash128 r = base::ReadHash(record);
    if (r == h) return true;
    if (r < h) {
      a = mid + 1;
    } else {
      b = mid;
    }
  }
  return false;
}

}  // namespace ctmr::tally
