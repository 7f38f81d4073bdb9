// DirectoryMapper on segment files (.ctseg): the same certificates give the
// same tallies as PEM and DER files do, mapped at once or in pieces.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "common/map/directory_mapper.h"
#include "common/tally/oracle_file.h"
#include "gtest/gtest.h"
#include "tests/support/segment_writer.h"
#include "tests/support/test_support.h"
#include "tools/ct_gen/corpus.h"
#include "tools/ct_gen/dates.h"

namespace ctmr::map {
namespace {

using ::ctmr::testing::AppendFile;
using ::ctmr::testing::CertificatesOfFile;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::SegmentOf;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

std::string Serialized(const google::protobuf::Message& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

class DirectoryMapperSegmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto list = names::PublicSuffixList::LoadLatest();
    ASSERT_TRUE(list.ok()) << list.status();
    suffixes_ = std::move(*list);
    dir_ = tmp_.path() + "/2025-08-01";
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0);
  }

  MapStats MapOk(const std::string& dir) {
    DirectoryMapper mapper(suffixes_.get());
    absl::StatusOr<MapStats> stats = mapper.Map(dir);
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? *stats : MapStats{};
  }

  DirectoryTally Tally(const std::string& dir) {
    auto t = tally::LoadOracle(dir);
    EXPECT_TRUE(t.ok() && t->has_value()) << dir;
    return t.ok() && t->has_value() ? **t : DirectoryTally{};
  }

  TempDir tmp_;
  std::unique_ptr<names::PublicSuffixList> suffixes_;
  std::string dir_;
};

// A ct-gen corpus (edge cases included: precertificates and their finals,
// copies from several logs, .cer files beside .pem) written again as one
// segment per issuer: every issuer's tally is the same.
TEST_F(DirectoryMapperSegmentTest, CtGenCorpusAsSegmentsGivesTheSameTallies) {
  ctgen::GenOptions options;
  options.root = tmp_.path() + "/pem";
  options.certs = 4000;
  options.seed = 5;
  options.as_of_day = *ctgen::ParseDate("2026-11-26");
  options.first_day = options.as_of_day - 2;
  options.days = 3;
  options.edge_cases = true;
  options.answers_path = tmp_.path() + "/known-answers.json";
  ctgen::Corpus corpus(options);
  ASSERT_TRUE(corpus.Generate().ok());
  const std::string seg_root = tmp_.path() + "/seg";
  ctmr::testing::ConvertRootToSegments(options.root, seg_root, /*per_block=*/100);

  int compared = 0;
  uint64_t certificates = 0;
  for (int64_t day = options.first_day; day < options.first_day + options.days; ++day) {
    const std::string date = ctgen::FormatDate(day);
    SCOPED_TRACE(date);
    const MapStats pem = MapOk(options.root + "/" + date);
    const MapStats seg = MapOk(seg_root + "/" + date);
    EXPECT_EQ(seg.certificates, pem.certificates);
    EXPECT_EQ(seg.duplicates, pem.duplicates);
    // Blocks that are no base64 (or no CERTIFICATE) have no DER to convert.
    EXPECT_LE(seg.unparseable_blocks, pem.unparseable_blocks);
    certificates += seg.certificates;
    const DirectoryTally a = Tally(options.root + "/" + date);
    const DirectoryTally b = Tally(seg_root + "/" + date);
    ASSERT_EQ(a.issuers_size(), b.issuers_size());
    for (int i = 0; i < a.issuers_size(); ++i) {
      EXPECT_EQ(Serialized(a.issuers(i)), Serialized(b.issuers(i))) << a.issuers(i).issuer_id();
      ++compared;
    }
    for (const FileOffset& f : b.offsets()) {
      EXPECT_TRUE(f.name().size() > 6 && f.name().substr(f.name().size() - 6) == ".ctseg")
          << f.name();
    }
  }
  EXPECT_GE(compared, 3);
  EXPECT_GE(certificates, 3000u);
}

// 512 real precertificates seen through two logs, as in the PEM test.
TEST_F(DirectoryMapperSegmentTest, CountsRealPrecertificatesOncePerSerial) {
  const std::vector<std::string> once =
      CertificatesOfFile("tests/data/certs/navigli2025h2-tiles-000-001.pem");
  ASSERT_EQ(once.size(), 512u);
  std::vector<std::string> ders = once;
  ders.insert(ders.end(), once.begin(), once.end());
  const std::string bytes = SegmentOf(ders);
  WriteFile(dir_ + "/issuer.ctseg", bytes);
  const MapStats stats = MapOk(dir_);
  EXPECT_TRUE(stats.committed);
  EXPECT_EQ(stats.certificates, 512u);
  EXPECT_EQ(stats.duplicates, 512u);
  EXPECT_EQ(stats.unparseable_blocks, 0u);
  EXPECT_EQ(stats.bytes_read, bytes.size());
  const DirectoryTally t = Tally(dir_);
  ASSERT_EQ(t.issuers_size(), 1);
  EXPECT_EQ(t.issuers(0).issuer_id(), "issuer");
  EXPECT_EQ(t.issuers(0).organization(), "(STAGING) Let's Encrypt");
  EXPECT_EQ(ReadFile(dir_ + "/oracle.out.offsets"),
            std::to_string(bytes.size()) + "\tissuer.ctseg\n");
}

// Map, append more (cutting blocks anywhere, a corrupt region included), map
// again, ... gives the very same oracle.out as one map of the whole; the
// directory needs mapping exactly when the segment grew.
TEST_F(DirectoryMapperSegmentTest, SegmentReadInPiecesEqualsOneRun) {
  const std::vector<std::string> ders =
      CertificatesOfFile("tests/data/certs/navigli2025h2-tiles-000-001.pem");
  const std::vector<std::string> a(ders.begin(), ders.begin() + 200);
  const std::vector<std::string> b(ders.begin() + 200, ders.end());
  const std::vector<std::string> again(ders.begin() + 100, ders.begin() + 150);
  const std::string content = SegmentOf(a, 37) + std::string(2000, 'x') + "CTSG" +
                              std::string(64, '\0') + SegmentOf(b, 64) + SegmentOf(again, 256);
  const std::string whole_dir = tmp_.path() + "/2025-08-02";
  ASSERT_EQ(::mkdir(whole_dir.c_str(), 0755), 0);
  WriteFile(whole_dir + "/x.ctseg", content);
  const MapStats once = MapOk(whole_dir);
  EXPECT_EQ(once.certificates, 512u);
  EXPECT_EQ(once.duplicates, 50u);
  EXPECT_EQ(once.unparseable_blocks, 1u);
  DirectoryTally whole = Tally(whole_dir);
  whole.set_directory("2025-08-01");

  std::mt19937 rng(11);
  for (int trial = 0; trial < 3; ++trial) {
    ::unlink((dir_ + "/oracle.out").c_str());
    WriteFile(dir_ + "/x.ctseg", "");
    size_t written = 0;
    while (written < content.size()) {
      const size_t piece = std::min<size_t>(content.size() - written, 1 + rng() % 30000);
      AppendFile(dir_ + "/x.ctseg", content.substr(written, piece));
      written += piece;
      absl::StatusOr<std::optional<DirectoryTally>> before = tally::LoadOracle(dir_);
      ASSERT_TRUE(before.ok());
      absl::StatusOr<bool> needs = tally::NeedsMapping(dir_, *before);
      ASSERT_TRUE(needs.ok());
      EXPECT_TRUE(*needs);
      MapOk(dir_);
    }
    EXPECT_EQ(Serialized(Tally(dir_)), Serialized(whole)) << "trial " << trial;
    absl::StatusOr<bool> needs = tally::NeedsMapping(dir_, Tally(dir_));
    ASSERT_TRUE(needs.ok());
    EXPECT_FALSE(*needs);
  }
}

// .pem, .cer and .ctseg of one issuer are one issuer; other names are skipped.
TEST_F(DirectoryMapperSegmentTest, SegmentBesidePemIsTheSameIssuer) {
  const std::vector<std::string> ders =
      CertificatesOfFile("tests/data/certs/navigli2025h2-tiles-000-001.pem");
  const std::string pem = ReadFile("tests/data/certs/navigli2025h2-tiles-000-001.pem");
  WriteFile(dir_ + "/issuer.pem", pem);
  WriteFile(dir_ + "/issuer.ctseg", SegmentOf(ders));
  WriteFile(dir_ + "/issuer.ctseg.tmp", "half a compaction");
  WriteFile(dir_ + "/.issuer.ctseg", "");
  const MapStats stats = MapOk(dir_);
  EXPECT_EQ(stats.certificates, 512u);
  EXPECT_EQ(stats.duplicates, 512u);
  EXPECT_EQ(stats.skipped_files, 2u);
  EXPECT_EQ(Tally(dir_).issuers_size(), 1);
}

}  // namespace
}  // namespace ctmr::map
