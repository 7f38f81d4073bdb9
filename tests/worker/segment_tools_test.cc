// worker/segment_tools: `cat` prints what a segment holds as PEM that parses
// back; `compact` leaves each (issuer, serial) once, keeps what the map counts
// as unparseable, and a re-run after a crash at any step gives the same set.
#include "worker/segment_tools.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/lock_file.h"
#include "common/x509/base64.h"
#include "common/x509/certificate_decoder.h"
#include "common/x509/pem_scanner.h"
#include "common/x509/pem_writer.h"
#include "tests/support/test_support.h"

namespace ctmr::worker {
namespace {

using ::ctmr::testing::ReadFile;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

struct Entry {
  std::string log;
  uint64_t ms = 0;
  std::string der;
  friend bool operator==(const Entry& a, const Entry& b) {
    return std::tie(a.log, a.ms, a.der) == std::tie(b.log, b.ms, b.der);
  }
};

// The DERs of tests/data/certs/navigli2025h2-tiles-000-001.pem (512 real
// certificates of one issuer).
const std::vector<std::string>& Certificates() {
  static const std::vector<std::string>* certs = [] {
    auto* out = new std::vector<std::string>;
    const char* src = std::getenv("CT_SOURCE_DIR");
    const std::string text = ReadFile(std::string(src ? src : ".") +
                                      "/tests/data/certs/navigli2025h2-tiles-000-001.pem");
    x509::PemScanner scanner(text, true);
    x509::PemBlock block;
    std::string scratch;
    while (scanner.Next(&block)) {
      std::string_view der;
      if (x509::DecodeBase64Reusing(block.body, &scratch, &der)) out->emplace_back(der);
    }
    return out;
  }();
  return *certs;
}

std::string SerialOf(const std::string& der) {
  x509::CertificateDecoder decoder;
  x509::CertificateView view;
  return decoder.Decode(der, &view) ? std::string(view.serial) : std::string();
}

std::string SegmentOf(const std::vector<Entry>& entries, size_t per_block = 100) {
  segment::BlockBuilder builder;
  std::string out;
  for (size_t i = 0; i < entries.size(); i += per_block) {
    std::vector<segment::Record> records;
    for (size_t j = i; j < std::min(entries.size(), i + per_block); ++j) {
      records.push_back({entries[j].log, entries[j].ms, entries[j].der});
    }
    EXPECT_TRUE(builder.AppendBlock(records, &out).ok());
  }
  return out;
}

std::vector<Entry> ReadSegment(const std::string& path, uint64_t* bad = nullptr) {
  std::vector<Entry> out;
  absl::StatusOr<SegmentReadResult> r = ReadSegmentFile(
      path,
      [&](const segment::Record& rec) {
        out.push_back({std::string(rec.log_url), rec.recorded_at_ms, std::string(rec.der)});
      },
      [&](uint64_t, std::string_view, const absl::Status&) {});
  EXPECT_TRUE(r.ok()) << r.status();
  if (bad != nullptr && r.ok()) *bad = r->bad_blocks;
  return out;
}

std::vector<Entry> ParsePem(const std::string& text) {
  std::vector<Entry> out;
  x509::PemScanner scanner(text, true);
  x509::PemBlock block;
  std::string scratch;
  while (scanner.Next(&block)) {
    EXPECT_FALSE(block.malformed);
    std::string_view der;
    EXPECT_TRUE(x509::DecodeBase64Reusing(block.body, &scratch, &der));
    const x509::PemHeaders h = x509::ParsePemHeaders(block.headers);
    out.push_back({std::string(h.log_url), h.recorded_at_ms, std::string(der)});
  }
  return out;
}

struct CatOutput {
  std::string text;
  std::vector<std::string> warnings;
  CatResult result;
};

CatOutput Cat(const std::vector<std::string>& paths) {
  CatOutput out;
  out.result = CatSegments(
      paths, [&](std::string_view t) { out.text.append(t.data(), t.size()); },
      [&](const std::string& line) { out.warnings.push_back(line); });
  return out;
}

std::vector<Entry> SomeEntries(size_t first, size_t n) {
  std::vector<Entry> out;
  for (size_t i = first; i < first + n; ++i) {
    out.push_back(
        {i % 3 ? "https://a.example/log/" : "", i % 5 ? 1746292403102 + i : 0, Certificates()[i]});
  }
  return out;
}

TEST(SegmentCatTest, RoundTripsDersAndHeaders) {
  TempDir tmp;
  const std::vector<Entry> entries = SomeEntries(0, 250);
  WriteFile(tmp.path() + "/a.ctseg", SegmentOf(entries));
  const CatOutput out = Cat({tmp.path() + "/a.ctseg"});
  EXPECT_TRUE(out.result.ok());
  EXPECT_TRUE(out.warnings.empty());
  EXPECT_EQ(out.result.records, entries.size());
  EXPECT_EQ(ParsePem(out.text), entries);
}

TEST(SegmentCatTest, ADirectoryIsItsSegmentsInNameOrder) {
  TempDir tmp;
  const std::vector<Entry> first = SomeEntries(0, 10);
  const std::vector<Entry> second = SomeEntries(10, 10);
  WriteFile(tmp.path() + "/b.ctseg", SegmentOf(second));
  WriteFile(tmp.path() + "/a.ctseg", SegmentOf(first));
  WriteFile(tmp.path() + "/c.pem", "not a segment");
  const CatOutput out = Cat({tmp.path()});
  std::vector<Entry> both = first;
  both.insert(both.end(), second.begin(), second.end());
  EXPECT_TRUE(out.result.ok());
  EXPECT_EQ(ParsePem(out.text), both);
}

TEST(SegmentCatTest, BadBlocksAreNamedAndSkipped) {
  TempDir tmp;
  const std::vector<Entry> entries = SomeEntries(0, 30);
  std::string bytes = SegmentOf(entries, 10);
  const std::string one_block = SegmentOf(SomeEntries(0, 10));
  bytes[one_block.size() + 100] ^= 0x55;         // inside the second block's payload
  bytes += std::string("CTSG", 4).substr(0, 3);  // a torn tail
  WriteFile(tmp.path() + "/a.ctseg", bytes);
  const CatOutput out = Cat({tmp.path() + "/a.ctseg", tmp.path() + "/missing.ctseg"});
  EXPECT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.bad_blocks, 1u);
  EXPECT_EQ(out.result.failed_paths, 1u);
  EXPECT_EQ(out.result.records, 20u);
  ASSERT_EQ(out.warnings.size(), 3u);
  EXPECT_NE(out.warnings[0].find(absl::StrCat("a.ctseg: bad block at offset ", one_block.size())),
            std::string::npos)
      << out.warnings[0];
  EXPECT_NE(out.warnings[1].find("incomplete block"), std::string::npos) << out.warnings[1];
  EXPECT_NE(out.warnings[2].find("missing.ctseg"), std::string::npos) << out.warnings[2];
}

// (issuer, serial, DER) of every certificate a directory holds in segments,
// and the number of records that are no certificate.
struct Contents {
  std::set<std::tuple<std::string, std::string, std::string>> certificates;
  size_t certificate_records = 0;
  size_t unparseable = 0;
  std::map<std::string, Entry> first_copy;  // by serial
};

Contents SegmentsOf(const std::string& dir) {
  Contents c;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() != ".ctseg") continue;
    const std::string issuer = e.path().stem().string();
    for (const Entry& entry : ReadSegment(e.path().string())) {
      const std::string serial = SerialOf(entry.der);
      if (serial.empty()) {
        ++c.unparseable;
        continue;
      }
      ++c.certificate_records;
      c.certificates.insert({issuer, serial, entry.der});
      c.first_copy.emplace(issuer + "/" + serial, entry);
    }
  }
  return c;
}

std::string Pem(const std::vector<Entry>& entries) {
  std::string out;
  for (const Entry& e : entries) out += x509::FormatPemBlock(e.log, e.ms, e.der);
  return out;
}

// A directory with duplicates inside a file, across a PEM and a DER file, and
// with a segment ct-fetch wrote; a malformed block and a block of another label.
struct Fixture {
  TempDir tmp;
  std::string dir = tmp.path() + "/2026-01-01";
  Contents expected;
  size_t expected_unparseable = 3;

  Fixture() {
    std::filesystem::create_directories(dir);
    const std::vector<std::string>& certs = Certificates();
    // Issuer A: a segment with 0..99, then a PEM with 50..149 (other log) and 0 again.
    std::vector<Entry> seg = SomeEntries(0, 100);
    WriteFile(dir + "/A.ctseg", SegmentOf(seg));
    std::vector<Entry> pem;
    for (size_t i = 50; i < 150; ++i) pem.push_back({"https://other.example/", 5, certs[i]});
    pem.push_back({"https://third.example/", 6, certs[0]});
    std::string text = Pem(pem);
    text += "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
    text += "-----BEGIN PRIVATE KEY-----\nMAN4eXo=\n-----END PRIVATE KEY-----\n";
    text += x509::FormatPemBlock("https://l/", 7, "\x30\x03xyz");  // base64 of no certificate
    WriteFile(dir + "/A.pem", text);
    // A DER file of issuer A with 140..199; issuer B: PEM 200..299 twice.
    std::string cer;
    for (size_t i = 140; i < 200; ++i) cer += certs[i];
    WriteFile(dir + "/A.cer", cer);
    std::vector<Entry> b;
    for (size_t i = 200; i < 300; ++i) b.push_back({"", 0, certs[i]});
    WriteFile(dir + "/B.pem", Pem(b) + Pem(b));
    WriteFile(dir + "/oracle.out", "stale");
    WriteFile(dir + "/oracle.out.offsets", "stale");
    for (size_t i = 0; i < 200; ++i) {
      expected.certificates.insert({"A", SerialOf(certs[i]), certs[i]});
    }
    for (size_t i = 200; i < 300; ++i) {
      expected.certificates.insert({"B", SerialOf(certs[i]), certs[i]});
    }
  }

  void ExpectCompacted() {
    const Contents got = SegmentsOf(dir);
    EXPECT_EQ(got.certificates, expected.certificates);
    EXPECT_EQ(got.certificate_records, expected.certificates.size());  // each once
    EXPECT_EQ(got.unparseable, expected_unparseable);
    // The first copy's headers: the segment's for 0..99, the PEM's for 100..149.
    const std::vector<std::string>& certs = Certificates();
    EXPECT_EQ(got.first_copy.at("A/" + SerialOf(certs[0])).log, "");
    EXPECT_EQ(got.first_copy.at("A/" + SerialOf(certs[1])).log, "https://a.example/log/");
    EXPECT_EQ(got.first_copy.at("A/" + SerialOf(certs[120])).log, "https://other.example/");
    EXPECT_EQ(got.first_copy.at("A/" + SerialOf(certs[120])).ms, 5u);
    EXPECT_EQ(::ctmr::testing::ListVisible(dir), (std::vector<std::string>{"A.ctseg", "B.ctseg"}));
  }
};

TEST(SegmentCompactTest, EachIssuerSerialOnceAndUnparseableKept) {
  Fixture f;
  absl::StatusOr<CompactStats> stats = CompactDirectory(f.dir);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->segments_written, 2u);
  EXPECT_EQ(stats->sources_removed, 3u);
  EXPECT_EQ(stats->certificates, 300u);
  EXPECT_EQ(stats->unparseable, 3u);
  EXPECT_EQ(stats->duplicates, 51u + 10u + 100u);
  f.ExpectCompacted();
  // Nothing left to do: a second run changes nothing.
  const std::string a = ReadFile(f.dir + "/A.ctseg");
  ASSERT_TRUE(CompactDirectory(f.dir).ok());
  EXPECT_EQ(ReadFile(f.dir + "/A.ctseg"), a);
}

TEST(SegmentCompactTest, ARerunAfterACrashGivesTheSameSet) {
  // Crash before the rename: a .tmp (here: garbage) next to untouched sources.
  {
    Fixture f;
    WriteFile(f.dir + "/A.ctseg.tmp", "half a segment");
    ASSERT_TRUE(CompactDirectory(f.dir).ok());
    f.ExpectCompacted();
  }
  // Crash after the rename, before the sources were removed: the segments
  // hold them already, and merging them again adds nothing.
  {
    Fixture f;
    const std::string keep = f.tmp.path() + "/keep";
    std::filesystem::create_directories(keep);
    for (const char* name : {"A.pem", "A.cer", "B.pem"}) {
      std::filesystem::copy_file(f.dir + "/" + name, keep + "/" + name);
    }
    ASSERT_TRUE(CompactDirectory(f.dir).ok());
    for (const char* name : {"A.pem", "B.pem"}) {  // A.cer already removed
      std::filesystem::copy_file(keep + "/" + name, f.dir + "/" + name);
    }
    absl::StatusOr<CompactStats> again = CompactDirectory(f.dir);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->unparseable, 3u);
    f.ExpectCompacted();
  }
}

TEST(SegmentCompactTest, BadBlocksOfAnExistingSegmentAreKept) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/2026-01-01";
  std::filesystem::create_directories(dir);
  std::string bytes = SegmentOf(SomeEntries(0, 30), 10);
  const std::string one_block = SegmentOf(SomeEntries(0, 10));
  bytes[one_block.size() + 100] ^= 0x55;
  WriteFile(dir + "/A.ctseg", bytes);
  WriteFile(dir + "/A.pem", Pem(SomeEntries(0, 40)));
  absl::StatusOr<CompactStats> stats = CompactDirectory(dir);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->bad_segment_blocks, 1u);
  uint64_t bad = 0;
  const std::vector<Entry> records = ReadSegment(dir + "/A.ctseg", &bad);
  EXPECT_EQ(bad, 1u);              // the map still counts it as one bad block
  EXPECT_EQ(records.size(), 40u);  // the PEM restored the ten the bad block held
}

TEST(SegmentCompactTest, RefusesWhileCtFetchHoldsTheDataRoot) {
  Fixture f;
  std::filesystem::create_directories(f.tmp.path() + "/state");
  absl::StatusOr<std::unique_ptr<base::LockFile>> lock =
      base::LockFile::Acquire(f.tmp.path() + "/state/ct-fetch.lock", "the test");
  ASSERT_TRUE(lock.ok());
  absl::StatusOr<CompactStats> stats = CompactDirectory(f.dir + "/");
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(stats.status())) << stats.status();
  EXPECT_NE(stats.status().message().find("ct-fetch"), std::string::npos) << stats.status();
  EXPECT_TRUE(std::filesystem::exists(f.dir + "/A.pem"));
  EXPECT_TRUE(std::filesystem::exists(f.dir + "/oracle.out"));
}

}  // namespace
}  // namespace ctmr::worker
