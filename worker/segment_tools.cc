#include "worker/segment_tools.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/x509/certificate_file_reader.h"
#include "common/x509/pem_writer.h"

namespace ctmr::worker {
namespace {

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

// The *.ctseg files of `dir`, in name order.
absl::StatusOr<std::vector<std::string>> SegmentFilesOf(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return base::ErrnoStatus(errno, "cannot list", dir);
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name.size() > segment::kFileExtension.size() && name[0] != '.' &&
        name.substr(name.size() - segment::kFileExtension.size()) == segment::kFileExtension) {
      names.emplace_back(name);
    }
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (std::string& name : names) name = absl::StrCat(dir, "/", name);
  return names;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

absl::StatusOr<uint64_t> ScanFileInChunks(
    const std::string& path, size_t max_carry,
    absl::FunctionRef<size_t(std::string_view data, uint64_t offset, bool at_end)> scan,
    uint64_t* end_offset) {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever.
  // Nothing is read before fstat has shown a regular file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return base::ErrnoStatus(errno, "cannot open", path);
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return base::ErrnoStatus(errno, "cannot stat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": not a regular file"));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return base::ErrnoStatus(errno, "cannot read", path);
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const size_t capacity = x509::kReadChunkBytes + max_carry;
  std::unique_ptr<char[]> buffer(new char[capacity]);
  size_t carried = 0;
  uint64_t buffer_offset = 0;  // file offset of buffer[0]
  uint64_t read_offset = 0;
  while (true) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(
        std::min(x509::kReadChunkBytes, capacity - carried), size - read_offset));
    size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd, buffer.get() + carried + got, want - got,
                                static_cast<off_t>(read_offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return base::ErrnoStatus(errno, "cannot read", path);
      if (n == 0) break;  // truncated under us: what we have is the end
      got += static_cast<size_t>(n);
    }
    read_offset += got;
    const std::string_view data(buffer.get(), carried + got);
    const bool at_end = read_offset >= size || got < want;
    const size_t consumed = std::min(scan(data, buffer_offset, at_end), data.size());
    carried = data.size() - consumed;
    std::memmove(buffer.get(), buffer.get() + consumed, carried);
    buffer_offset += consumed;
    if (at_end) break;
    if (carried > max_carry) {
      return absl::InternalError(absl::StrCat(path, ": a block at ", buffer_offset,
                                              " is longer than the scanner's bound"));
    }
  }
  *end_offset = buffer_offset;
  return size;
}

absl::StatusOr<SegmentReadResult> ReadSegmentFile(
    const std::string& path, absl::FunctionRef<void(const segment::Record&)> visit,
    absl::FunctionRef<void(uint64_t offset, std::string_view bytes, const absl::Status& why)>
        on_bad) {
  SegmentReadResult result;
  segment::BlockDecoder decoder;
  absl::StatusOr<uint64_t> size = ScanFileInChunks(
      path, segment::kMaxBlockBytes,
      [&](std::string_view data, uint64_t offset, bool at_end) {
        segment::SegmentScanner scanner(data, at_end);
        segment::BlockView block;
        while (scanner.Next(&block)) {
          ++result.blocks;
          const std::string_view bytes = data.substr(block.offset, block.size);
          const uint64_t at = offset + block.offset;
          if (block.corrupt) {
            ++result.bad_blocks;
            on_bad(at, bytes, absl::DataLossError(absl::StrCat(block.size, " bytes are no block")));
            continue;
          }
          const absl::Status s = decoder.Decode(block, [&](const segment::Record& r) {
            ++result.records;
            visit(r);
          });
          if (!s.ok()) {
            ++result.bad_blocks;
            on_bad(at, bytes, s);
          }
        }
        return scanner.consumed();
      },
      &result.end_offset);
  if (!size.ok()) return size.status();
  result.file_size = *size;
  return result;
}

CatResult CatSegments(const std::vector<std::string>& paths,
                      absl::FunctionRef<void(std::string_view text)> out,
                      absl::FunctionRef<void(const std::string& line)> warn) {
  CatResult result;
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    if (!IsDirectory(path)) {
      files.push_back(path);
      continue;
    }
    absl::StatusOr<std::vector<std::string>> listed = SegmentFilesOf(path);
    if (!listed.ok()) {
      ++result.failed_paths;
      warn(std::string(listed.status().message()));
      continue;
    }
    files.insert(files.end(), listed->begin(), listed->end());
  }
  std::string pem;  // reused
  for (const std::string& file : files) {
    absl::StatusOr<SegmentReadResult> read = ReadSegmentFile(
        file,
        [&](const segment::Record& r) {
          x509::FormatPemBlockInto(r.log_url, r.recorded_at_ms, r.der, &pem);
          out(pem);
          ++result.records;
        },
        [&](uint64_t offset, std::string_view bytes, const absl::Status& why) {
          ++result.bad_blocks;
          warn(absl::StrCat(file, ": bad block at offset ", offset, " (", bytes.size(),
                            " bytes): ", why.message()));
        });
    if (!read.ok()) {
      ++result.failed_paths;
      warn(std::string(read.status().message()));
      continue;
    }
    if (read->torn_tail()) {
      // Not an error: ct-fetch may be writing it (or cuts it when it restarts).
      warn(absl::StrCat(file, ": incomplete block at offset ", read->end_offset, " (",
                        read->file_size - read->end_offset,
                        " bytes) skipped: still being written, or cut short by a crash"));
    }
  }
  return result;
}

}  // namespace ctmr::worker
