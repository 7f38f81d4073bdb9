#include "tools/ct_gen/output_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ctgen {

std::string* OutputFiles::Buffer(const std::string& relative) { return &pending_[relative]; }

absl::Status OutputFiles::EnsureParent(const std::string& relative) {
  std::string parent = std::filesystem::path(relative).parent_path().string();
  if (parent.empty() || made_dirs_.count(parent)) return absl::OkStatus();
  std::error_code ec;
  std::filesystem::create_directories(root_ + "/" + parent, ec);
  if (ec)
    return absl::UnavailableError("cannot create " + root_ + "/" + parent + ": " + ec.message());
  made_dirs_.insert(parent);
  return absl::OkStatus();
}

absl::Status OutputFiles::Touch(const std::string& relative) {
  absl::Status s = EnsureParent(relative);
  if (!s.ok()) return s;
  std::string path = root_ + "/" + relative;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError("cannot create " + path + ": " + std::strerror(errno));
  ::close(fd);
  return absl::OkStatus();
}

absl::Status OutputFiles::Flush(size_t threshold) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.size() <= threshold && !(threshold == 0 && !it->second.empty())) {
      ++it;
      continue;
    }
    absl::Status s = EnsureParent(it->first);
    if (!s.ok()) return s;
    std::string path = root_ + "/" + it->first;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return absl::UnavailableError("cannot open " + path + ": " + std::strerror(errno));
    const char* p = it->second.data();
    size_t left = it->second.size();
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        return absl::UnavailableError("cannot write " + path + ": " + std::strerror(errno));
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    ::close(fd);
    bytes_written_ += it->second.size();
    it = pending_.erase(it);
  }
  return absl::OkStatus();
}

}  // namespace ctgen
