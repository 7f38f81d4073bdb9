// OutputFiles: buffered appends to many files under one data root.
//
// ct-gen writes one PEM file per (date directory, issuer) and appends to it
// many times; OutputFiles keeps one buffer per file and appends it to disk
// (O_APPEND, creating directories as needed) when it grows large or on Flush.
#ifndef CT_TOOLS_CT_GEN_OUTPUT_FILES_H_
#define CT_TOOLS_CT_GEN_OUTPUT_FILES_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"

namespace ctgen {

class OutputFiles {
 public:
  explicit OutputFiles(std::string root) : root_(std::move(root)) {}

  // The pending bytes of ROOT/relative; append to it. Valid until Flush.
  std::string* Buffer(const std::string& relative);
  // Creates ROOT/relative empty if it does not exist yet.
  absl::Status Touch(const std::string& relative);
  // Writes out the buffers larger than `threshold` bytes (all when 0).
  absl::Status Flush(size_t threshold = 0);

  uint64_t bytes_written() const { return bytes_written_; }
  const std::string& root() const { return root_; }

 private:
  absl::Status EnsureParent(const std::string& relative);

  std::string root_;
  std::map<std::string, std::string> pending_;
  std::set<std::string> made_dirs_;
  uint64_t bytes_written_ = 0;
};

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_OUTPUT_FILES_H_
