// ReadCertificateFile on segment files (.ctseg): the same contract as for PEM
// (complete blocks only, resumable at end_offset, one bad block costs only
// itself), with each record counted as one block.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/segment/segment.h"
#include "common/x509/certificate_file_reader.h"
#include "common/x509/certificate_view.h"
#include "common/x509/openssl_certificate_parser.h"
#include "tests/support/certificate_expectations.h"
#include "tests/support/segment_writer.h"
#include "tests/support/test_support.h"

namespace ctmr::x509 {
namespace {

using ::ctmr::testing::AppendFile;
using ::ctmr::testing::SegmentOf;
using ::ctmr::testing::WriteFile;

using Visitor = ::ctmr::testing::OpenSslVisitor;

class SegmentFileReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new std::vector<std::string>;
    for (const char* file :
         {"tests/data/certs/cloudflare.pem", "tests/data/certs/real-precert-with-eku.pem",
          "tests/data/certs/navigli2025h2-tiles-000-001.pem"}) {
      for (std::string& der : ctmr::testing::CertificatesOfFile(file)) {
        certs_->push_back(std::move(der));
      }
    }
    ASSERT_GE(certs_->size(), 500u);
  }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }

  // The first n certificates.
  std::vector<std::string> Certs(size_t n) const {
    return std::vector<std::string>(certs_->begin(), certs_->begin() + n);
  }

  absl::StatusOr<FileReadResult> Read(const std::string& path, uint64_t offset, Visitor* visit) {
    return ReadCertificateFile(path, offset, CertificateFileFormat::kSegment, std::ref(*visit));
  }

  static std::vector<std::string>* certs_;
  ctmr::testing::TempDir tmp_;
};

std::vector<std::string>* SegmentFileReaderTest::certs_ = nullptr;

TEST(SegmentFileNameTest, FormatAndIssuer) {
  EXPECT_EQ(FormatOfFileName("Zm9vYmFy.ctseg"), CertificateFileFormat::kSegment);
  EXPECT_EQ(FormatOfFileName("a.ctseg"), CertificateFileFormat::kSegment);
  EXPECT_EQ(IssuerIdOfFileName("YLh1dUR9y6Kja30RrAn7JKnbQG_uEtLMkBgFF2Fuihg.ctseg"),
            "YLh1dUR9y6Kja30RrAn7JKnbQG_uEtLMkBgFF2Fuihg");
  EXPECT_EQ(IssuerIdOfFileName("a.b.ctseg"), "a.b");
  for (std::string_view skipped :
       {".ctseg", "ctseg", "x.ctseg.tmp", "x.ctse", "x.seg", "xctseg", "x.ctseg~", "x.CTSEG"}) {
    EXPECT_EQ(FormatOfFileName(skipped), std::nullopt) << skipped;
  }
}

TEST_F(SegmentFileReaderTest, RecordsOfSeveralBlocksAreBlocksInOrder) {
  const std::vector<std::string> certs = Certs(300);
  std::vector<uint64_t> starts;
  const std::string bytes = SegmentOf(certs, 64, &starts);
  ASSERT_EQ(starts.size(), 5u);
  const std::string path = tmp_.path() + "/issuer.ctseg";
  WriteFile(path, bytes);
  Visitor visit;
  absl::StatusOr<FileReadResult> r = Read(path, 0, &visit);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 300u);
  EXPECT_EQ(r->malformed_blocks, 0u);
  EXPECT_EQ(r->end_offset, bytes.size());
  EXPECT_EQ(visit.seen, certs);
}

TEST_F(SegmentFileReaderTest, VisitorRejectionCountsTheRecordAsMalformed) {
  const std::vector<std::string> certs = Certs(3);
  const std::string path = tmp_.path() + "/x.ctseg";
  WriteFile(path, SegmentOf(certs));
  int calls = 0;
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kSegment, [&](std::string_view der) {
        EXPECT_EQ(der, certs[calls]);
        return ++calls != 2;
      });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(r->blocks, 3u);
  EXPECT_EQ(r->malformed_blocks, 1u);
}

TEST_F(SegmentFileReaderTest, ACorruptRegionInTheMiddleIsOneMalformedBlock) {
  const std::vector<std::string> first = Certs(100);
  const std::vector<std::string> second(certs_->begin() + 100, certs_->begin() + 230);
  const std::string garbage = std::string(3000, 'g') + "CTSG" + std::string(200, '\0');
  const std::string bytes = SegmentOf(first, 40) + garbage + SegmentOf(second, 50);
  const std::string path = tmp_.path() + "/x.ctseg";
  WriteFile(path, bytes);
  Visitor visit;
  absl::StatusOr<FileReadResult> r = Read(path, 0, &visit);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 231u);
  EXPECT_EQ(r->malformed_blocks, 1u);
  EXPECT_EQ(r->end_offset, bytes.size());
  std::vector<std::string> all = first;
  all.insert(all.end(), second.begin(), second.end());
  EXPECT_EQ(visit.seen, all);
}

// A flipped byte anywhere (header or payload, first or last block): that
// block is one malformed block, every other certificate is counted.
TEST_F(SegmentFileReaderTest, AFlippedByteCostsOnlyItsBlock) {
  const std::vector<std::string> certs = Certs(120);
  std::vector<uint64_t> starts;
  const std::string bytes = SegmentOf(certs, 30, &starts);
  ASSERT_EQ(starts.size(), 4u);
  starts.push_back(bytes.size());
  const std::string path = tmp_.path() + "/x.ctseg";
  for (size_t at = 0; at < bytes.size();) {
    size_t hit = 0;
    while (starts[hit + 1] <= at) ++hit;
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x01);
    WriteFile(path, damaged);
    Visitor visit;
    absl::StatusOr<FileReadResult> r = Read(path, 0, &visit);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->malformed_blocks, 1u) << "byte " << at;
    ASSERT_EQ(r->blocks, certs.size() - 30 + 1) << "byte " << at;
    ASSERT_EQ(r->end_offset, bytes.size()) << "byte " << at;
    std::vector<std::string> expected = certs;
    expected.erase(expected.begin() + 30 * hit, expected.begin() + 30 * (hit + 1));
    ASSERT_EQ(visit.seen, expected) << "byte " << at;
    // Every header byte; a sample of the payloads.
    at += at - starts[hit] < segment::kHeaderBytes ? 1 : 1009;
  }
}

// Whatever ct-fetch had written when the map read the file (at a block
// boundary, inside a header, inside a payload), a second read from end_offset
// after the writer finished sees every certificate once, and the first read
// stopped at the last complete block.
TEST_F(SegmentFileReaderTest, ResumingAtEveryBoundaryAndFromATornTail) {
  const std::vector<std::string> certs = Certs(90);
  std::vector<uint64_t> starts;
  const std::string bytes = SegmentOf(certs, 20, &starts);
  ASSERT_EQ(starts.size(), 5u);
  std::vector<size_t> splits;
  for (uint64_t s : starts) {
    for (size_t d : {0, 1, 16, 31, 32, 33, 500}) splits.push_back(s + d);
  }
  splits.push_back(bytes.size() - 1);
  splits.push_back(bytes.size());
  const std::string path = tmp_.path() + "/resume.ctseg";
  for (size_t split : splits) {
    if (split > bytes.size()) continue;
    SCOPED_TRACE(::testing::Message() << "split " << split);
    uint64_t complete = 0;
    for (uint64_t s : starts) {
      if (s <= split) complete = s;
    }
    if (split == bytes.size()) complete = split;
    WriteFile(path, bytes.substr(0, split));
    Visitor visit;
    absl::StatusOr<FileReadResult> first = Read(path, 0, &visit);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(first->end_offset, complete);
    EXPECT_EQ(first->malformed_blocks, 0u);
    AppendFile(path, bytes.substr(split));
    absl::StatusOr<FileReadResult> second = Read(path, first->end_offset, &visit);
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(second->end_offset, bytes.size());
    EXPECT_EQ(first->blocks + second->blocks, certs.size());
    EXPECT_EQ(second->malformed_blocks, 0u);
    EXPECT_EQ(visit.seen, certs);
  }
}

// Blocks that straddle the reader's chunk boundaries, up to the largest
// record, are read whole, once; a torn last block is left for next time.
TEST_F(SegmentFileReaderTest, FileLargerThanOneChunk) {
  std::mt19937 rng(3);
  std::vector<std::string> records;
  size_t total = 0;
  while (total < kReadChunkBytes + kReadChunkBytes / 2) {
    // Incompressible, so blocks are as large as their records.
    const size_t size =
        records.size() % 7 == 0 ? segment::kMaxCertificateBytes : 1 + rng() % (300 << 10);
    std::string der(size, '\0');
    for (char& c : der) c = static_cast<char>(rng());
    total += size;
    records.push_back(std::move(der));
  }
  std::vector<uint64_t> starts;
  const std::string bytes = SegmentOf(records, 3, &starts);
  const std::string path = tmp_.path() + "/big.ctseg";
  WriteFile(path, bytes.substr(0, bytes.size() - 10));
  size_t visits = 0;
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kSegment, [&](std::string_view der) {
        EXPECT_EQ(der, records[visits]) << visits;
        ++visits;
        return true;
      });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->end_offset, starts.back());
  EXPECT_EQ(r->malformed_blocks, 0u);
  EXPECT_EQ(r->blocks, visits);
  EXPECT_GT(visits, records.size() - 4);
}

TEST_F(SegmentFileReaderTest, PemBytesNamedCtsegAreOneMalformedBlock) {
  const std::string pem = ctmr::testing::ReadFile("tests/data/certs/cloudflare.pem");
  const std::string path = tmp_.path() + "/wrong.ctseg";
  WriteFile(path, pem);
  Visitor visit;
  absl::StatusOr<FileReadResult> r = Read(path, 0, &visit);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 1u);
  EXPECT_EQ(r->malformed_blocks, 1u);
  EXPECT_EQ(r->end_offset, pem.size());
  EXPECT_TRUE(visit.seen.empty());
}

TEST_F(SegmentFileReaderTest, EmptyFileAndOffsetAtTheEnd) {
  const std::string path = tmp_.path() + "/e.ctseg";
  WriteFile(path, "");
  Visitor visit;
  absl::StatusOr<FileReadResult> r = Read(path, 0, &visit);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 0u);
  EXPECT_EQ(r->end_offset, 0u);
  const std::string bytes = SegmentOf(Certs(2));
  WriteFile(path, bytes);
  r = Read(path, bytes.size(), &visit);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 0u);
  EXPECT_EQ(r->end_offset, bytes.size());
  EXPECT_FALSE(Read(path, bytes.size() + 1, &visit).ok());
}

}  // namespace
}  // namespace ctmr::x509
