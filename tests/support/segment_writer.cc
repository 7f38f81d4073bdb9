#include "tests/support/segment_writer.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "absl/status/status.h"
#include "common/x509/certificate_file_reader.h"
#include "tests/support/test_support.h"

namespace ctmr::testing {
namespace {

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool IsDateName(const std::string& name) {
  return name.size() == 10 && name[4] == '-' && name[7] == '-';
}

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "segment_writer: %s\n", std::string(status.message()).c_str());
  std::abort();
}

}  // namespace

std::string SegmentOf(const std::vector<std::string>& ders, size_t per_block,
                      std::vector<uint64_t>* boundaries) {
  segment::BlockBuilder builder;
  std::string out;
  std::vector<segment::Record> block;
  size_t raw = 0;
  auto flush = [&] {
    if (block.empty()) return;
    if (boundaries != nullptr) boundaries->push_back(out.size());
    const absl::Status s = builder.AppendBlock(block, &out);
    if (!s.ok()) Die(s);
    block.clear();
    raw = 0;
  };
  for (size_t i = 0; i < ders.size(); ++i) {
    block.push_back({i % 3 == 0 ? "https://ct.example/2026h1/" : "https://other.example/log/",
                     1767225600000u + 1000 * i, ders[i]});
    raw += ders[i].size();
    if (block.size() >= per_block || raw > segment::kTargetRawBytes) flush();
  }
  flush();
  return out;
}

std::vector<std::string> CertificatesOfFile(const std::string& path) {
  std::vector<std::string> out;
  const std::optional<x509::CertificateFileFormat> format = x509::FormatOfFileName(path);
  if (!format.has_value()) return out;
  const absl::StatusOr<x509::FileReadResult> r =
      x509::ReadCertificateFile(path, 0, *format, [&](std::string_view der) {
        out.emplace_back(der);
        return true;
      });
  if (!r.ok()) Die(r.status());
  return out;
}

void ConvertRootToSegments(const std::string& from, const std::string& to, size_t per_block) {
  ::mkdir(to.c_str(), 0755);
  for (const std::string& date : List(from)) {
    if (!IsDateName(date)) continue;
    const std::string in = from + "/" + date;
    const std::string out = to + "/" + date;
    ::mkdir(out.c_str(), 0755);
    // In the order the map reads them: names sorted, so <issuer>.cer first.
    std::map<std::string, std::vector<std::string>> ders_of_issuer;
    for (const std::string& name : List(in)) {
      const std::optional<x509::CertificateFileFormat> format = x509::FormatOfFileName(name);
      if (!format.has_value() || *format == x509::CertificateFileFormat::kSegment) continue;
      std::vector<std::string>& ders = ders_of_issuer[std::string(x509::IssuerIdOfFileName(name))];
      // An empty block cannot be a record (nor is it a certificate).
      for (std::string& der : CertificatesOfFile(in + "/" + name)) {
        if (!der.empty()) ders.push_back(std::move(der));
      }
    }
    for (const auto& [issuer, ders] : ders_of_issuer) {
      WriteFile(out + "/" + issuer + std::string(segment::kFileExtension),
                SegmentOf(ders, per_block));
    }
  }
}

}  // namespace ctmr::testing
