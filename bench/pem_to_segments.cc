// pem_to_segments FROM TO [ZSTD_LEVEL]: writes the date directories of the
// data root FROM again under TO, each issuer's .cer and .pem files (in the
// order the map reads them) as one <issuer>.ctseg, so that bench/
// map_segments.sh can map the same certificates in both forms. Blocks are
// closed as ct-fetch closes them (kMaxBlockRecords records or past
// kTargetRawBytes). PEM headers are not carried over: every record gets one
// placeholder log URL and a made-up millisecond time, the size ct-fetch's
// metadata would have. Not `ct-worker compact`: a benchmark fixture only.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/segment/segment.h"
#include "common/x509/certificate_file_reader.h"

namespace {

using ctmr::segment::BlockBuilder;
using ctmr::segment::Record;
using ctmr::x509::CertificateFileFormat;

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

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "pem_to_segments: %s\n", what.c_str());
  std::exit(1);
}

// One issuer's segment, written block by block.
class SegmentWriter {
 public:
  SegmentWriter(const std::string& path, BlockBuilder* builder)
      : out_(path, std::ios::binary | std::ios::trunc), builder_(builder) {
    if (!out_) Die("cannot write " + path);
  }
  ~SegmentWriter() { Flush(); }

  void Add(std::string_view der) {
    if (der.empty()) return;  // not a certificate, and no record can be empty
    ders_.emplace_back(der);
    raw_ += der.size();
    if (ders_.size() >= ctmr::segment::kMaxBlockRecords || raw_ > ctmr::segment::kTargetRawBytes) {
      Flush();
    }
  }

  // Writes the last block; returns the records written.
  uint64_t Finish() {
    Flush();
    return records_;
  }

 private:
  void Flush() {
    if (ders_.empty()) return;
    std::vector<Record> records;
    for (const std::string& der : ders_) {
      records.push_back({"https://ct.example.com/2026h2/", 1767225600000 + 977 * records_++, der});
    }
    block_.clear();
    const absl::Status s = builder_->AppendBlock(records, &block_);
    if (!s.ok()) Die(std::string(s.message()));
    out_.write(block_.data(), static_cast<std::streamsize>(block_.size()));
    ders_.clear();
    raw_ = 0;
  }

  std::ofstream out_;
  BlockBuilder* builder_;
  std::vector<std::string> ders_;
  size_t raw_ = 0;
  uint64_t records_ = 0;
  std::string block_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: pem_to_segments FROM_ROOT TO_ROOT [ZSTD_LEVEL]\n");
    return 2;
  }
  const std::string from = argv[1];
  const std::string to = argv[2];
  BlockBuilder builder(argc == 4 ? std::atoi(argv[3]) : BlockBuilder::kDefaultLevel);
  ::mkdir(to.c_str(), 0755);
  uint64_t total = 0;
  for (const std::string& date : List(from)) {
    if (date.size() != 10 || date[4] != '-' || date[7] != '-') continue;
    ::mkdir((to + "/" + date).c_str(), 0755);
    // Names sorted: <issuer>.cer, then <issuer>.pem, as the map reads them.
    std::map<std::string, std::vector<std::pair<std::string, CertificateFileFormat>>> inputs;
    for (const std::string& name : List(from + "/" + date)) {
      const auto format = ctmr::x509::FormatOfFileName(name);
      if (!format.has_value() || *format == CertificateFileFormat::kSegment) continue;
      inputs[std::string(ctmr::x509::IssuerIdOfFileName(name))].emplace_back(name, *format);
    }
    for (const auto& [issuer, files] : inputs) {
      SegmentWriter writer(
          to + "/" + date + "/" + issuer + std::string(ctmr::segment::kFileExtension), &builder);
      for (const auto& [name, format] : files) {
        const auto read = ctmr::x509::ReadCertificateFile(from + "/" + date + "/" + name, 0, format,
                                                          [&](std::string_view der) {
                                                            writer.Add(der);
                                                            return true;
                                                          });
        if (!read.ok()) Die(std::string(read.status().message()));
      }
      total += writer.Finish();
    }
  }
  std::printf("%llu records\n", static_cast<unsigned long long>(total));
  return 0;
}
