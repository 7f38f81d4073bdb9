#include "common/map/map_parts.h"

#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "common/map/directory_mapper.h"
#include "common/tally/oracle_file.h"
#include "gtest/gtest.h"
#include "tests/support/segment_writer.h"
#include "tests/support/test_support.h"

namespace ctmr::map {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::CopyTree;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

constexpr char kDate[] = "2026-11-20";

// One ct-gen date directory (eight issuers, .pem and .cer, an empty file, a
// file the map skips, unparseable blocks) in two data roots: "one" is mapped
// whole, "split" in parts; their oracle.out must be the same bytes.
class MapPartsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto list = names::PublicSuffixList::LoadLatest();
    ASSERT_TRUE(list.ok()) << list.status();
    suffixes_ = std::move(*list);
    const std::string corpus = tmp_.path() + "/corpus";
    auto gen = RunCommand({BinaryPath("ct-gen"), "--out", corpus, "--certs", "2000", "--days", "1",
                           "--first-date", kDate, "--as-of", kDate, "--edge-cases"});
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    std::filesystem::create_directories(tmp_.path() + "/one");
    std::filesystem::create_directories(tmp_.path() + "/split");
    CopyTree(corpus + "/" + kDate, one_);
    CopyTree(corpus + "/" + kDate, split_);
  }

  void MapWhole() {
    DirectoryMapper mapper(suffixes_.get());
    absl::StatusOr<MapStats> stats = mapper.Map(one_);
    ASSERT_TRUE(stats.ok()) << stats.status();
  }

  // Maps split_ in `n` parts of plan `plan` (each within `budget`) and
  // returns the parts' specs.
  std::vector<PartSpec> MapParts(const std::string& plan, uint32_t n,
                                 uint64_t budget = kUnboundedMap, uint64_t* spilled = nullptr) {
    auto before = tally::LoadOracle(split_);
    EXPECT_TRUE(before.ok()) << before.status();
    auto work = UnmappedWorkByStem(split_, before.ok() ? *before : std::nullopt,
                                   /*estimate_certificates=*/true);
    EXPECT_TRUE(work.ok()) << work.status();
    std::map<std::string, uint64_t> certificates;
    if (work.ok()) {
      for (const auto& [stem, w] : *work) certificates[stem] = w.certificates;
    }
    std::vector<PartSpec> specs;
    const std::vector<std::vector<std::string>> stems = BalanceStems(certificates, n);
    for (uint32_t k = 0; k < n; ++k) {
      PartSpec spec{plan, k, n, stems[k]};
      DirectoryMapper mapper(suffixes_.get(), x509::CertificateDecoder::Mode::kFastWithFallback,
                             budget);
      absl::StatusOr<MapStats> stats = mapper.MapPart(split_, spec);
      EXPECT_TRUE(stats.ok()) << stats.status();
      if (stats.ok() && spilled != nullptr) *spilled += stats->spilled_runs;
      EXPECT_FALSE(stats.ok() && stats->committed) << "a part never commits oracle.out";
      specs.push_back(spec);
    }
    return specs;
  }

  std::string Oracle(const std::string& dir) { return ReadFile(dir + "/oracle.out"); }

  TempDir tmp_;
  std::unique_ptr<names::PublicSuffixList> suffixes_;
  const std::string one_ = tmp_.path() + "/one/" + kDate;
  const std::string split_ = tmp_.path() + "/split/" + kDate;
};

TEST_F(MapPartsTest, MergedPartsAreByteIdenticalToOneMap) {
  MapWhole();
  MapParts("plan1", 3);
  ASSERT_TRUE(std::filesystem::exists(MapPartPath(split_, "plan1", 2, 3)));
  ASSERT_FALSE(std::filesystem::exists(split_ + "/oracle.out")) << "parts commit nothing";
  absl::StatusOr<MergeStats> merged = MergeMapParts(split_, "plan1", 3);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_TRUE(merged->committed);
  EXPECT_EQ(merged->parts, 3u);
  const std::string want = Oracle(one_);
  ASSERT_FALSE(want.empty());
  EXPECT_TRUE(Oracle(split_) == want);
  EXPECT_EQ(ReadFile(split_ + "/oracle.out.offsets"), ReadFile(one_ + "/oracle.out.offsets"));
  EXPECT_FALSE(std::filesystem::exists(MapPartsDir(split_))) << "parts removed";
}

TEST_F(MapPartsTest, ASplitContinuesACommittedTally) {
  // Both directories first without one issuer's file, mapped whole.
  const std::string late = "mz6y8LOHd0uKuWV8p_dkF6hQM55befhicTG879DZ4K8.pem";
  const std::string grown = "0ulF5bjqNY9FK7Z5eWEXstv84wVZEMQLIcYw1LEXq40.pem";
  const std::string late_bytes = ReadFile(one_ + "/" + late);
  ASSERT_FALSE(late_bytes.empty());
  for (const std::string& dir : {one_, split_}) ASSERT_EQ(::unlink((dir + "/" + late).c_str()), 0);
  MapWhole();
  {
    DirectoryMapper mapper(suffixes_.get());
    ASSERT_TRUE(mapper.Map(split_).ok());
  }
  ASSERT_TRUE(Oracle(split_) == Oracle(one_));
  // Then the file arrives, and another grows (its blocks again: duplicates).
  for (const std::string& dir : {one_, split_}) {
    WriteFile(dir + "/" + late, late_bytes);
    WriteFile(dir + "/" + grown, ReadFile(dir + "/" + grown) + ReadFile(dir + "/" + grown));
  }
  MapWhole();
  const std::vector<PartSpec> specs = MapParts("plan2", 2);
  std::set<std::string> owned;
  for (const PartSpec& s : specs) owned.insert(s.stems.begin(), s.stems.end());
  // Only the issuers with new bytes are mapped (and one whose last block
  // is half-written, ct-gen's edge case, which is looked at every time).
  EXPECT_EQ(owned.count("mz6y8LOHd0uKuWV8p_dkF6hQM55befhicTG879DZ4K8"), 1u);
  EXPECT_EQ(owned.count("0ulF5bjqNY9FK7Z5eWEXstv84wVZEMQLIcYw1LEXq40"), 1u);
  EXPECT_LE(owned.size(), 3u);
  ASSERT_TRUE(MergeMapParts(split_, "plan2", 2).ok());
  EXPECT_TRUE(Oracle(split_) == Oracle(one_));
}

TEST_F(MapPartsTest, StalePartsAreNeverMerged) {
  MapParts("old", 2);
  // The committed tally moved on after the parts started: they are stale.
  {
    DirectoryMapper mapper(suffixes_.get());
    ASSERT_TRUE(mapper.Map(split_).ok());
  }
  const std::string committed = Oracle(split_);
  absl::StatusOr<MergeStats> stale = MergeMapParts(split_, "old", 2);
  EXPECT_TRUE(absl::IsFailedPrecondition(stale.status())) << stale.status();
  EXPECT_TRUE(Oracle(split_) == committed) << "nothing committed";
  // Another plan's or another N's parts are not found.
  EXPECT_TRUE(absl::IsNotFound(MergeMapParts(split_, "other", 2).status()));
  EXPECT_TRUE(absl::IsNotFound(MergeMapParts(split_, "old", 3).status()));
}

TEST_F(MapPartsTest, APartCutShortIsNotMerged) {
  MapParts("plan", 2);
  const std::string path = MapPartPath(split_, "plan", 1, 2);
  const std::string bytes = ReadFile(path);
  WriteFile(path, bytes.substr(0, bytes.size() / 2));
  EXPECT_TRUE(absl::IsDataLoss(MergeMapParts(split_, "plan", 2).status()));
  EXPECT_FALSE(std::filesystem::exists(split_ + "/oracle.out"));
  // The next plan starts over and gets the whole map's answer.
  ASSERT_TRUE(RemoveMapParts(split_).ok());
  MapParts("next", 2);
  ASSERT_TRUE(MergeMapParts(split_, "next", 2).ok());
  MapWhole();
  EXPECT_TRUE(Oracle(split_) == Oracle(one_));
}

TEST_F(MapPartsTest, PartsWithinATinyBudgetSpillAndMergeToTheSameBytes) {
  MapWhole();
  uint64_t spilled = 0;
  MapParts("tiny", 2, 1 << 20, &spilled);
  EXPECT_GT(spilled, 0u) << "the parts spilled sorted runs";
  ASSERT_TRUE(MergeMapParts(split_, "tiny", 2).ok());
  EXPECT_TRUE(Oracle(split_) == Oracle(one_));
  // The merged file is a whole tally: it loads, and a map after it reads nothing.
  auto loaded = tally::LoadOracle(split_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  DirectoryMapper mapper(suffixes_.get());
  absl::StatusOr<MapStats> again = mapper.Map(split_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->bytes_read, 0u);
}

TEST_F(MapPartsTest, APartWhoseChecksumFailsIsNotMerged) {
  MapWhole();
  {
    DirectoryMapper mapper(suffixes_.get());
    ASSERT_TRUE(mapper.Map(split_).ok());
  }
  const std::string committed = Oracle(split_);
  // New bytes for every issuer, mapped in parts; then a byte of a part's
  // sets flipped: its trailer (and so its identity) is intact.
  for (const auto& e : std::filesystem::directory_iterator(split_)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 4 && name.substr(name.size() - 4) == ".pem") {
      WriteFile(e.path().string(), ReadFile(e.path().string()) + ReadFile(one_ + "/" + name));
    }
  }
  MapParts("flip", 2);
  const std::string path = MapPartPath(split_, "flip", 0, 2);
  std::string bytes = ReadFile(path);
  ASSERT_GT(bytes.size(), 200u);
  bytes[bytes.size() / 2] ^= 0x01;
  WriteFile(path, bytes);
  absl::StatusOr<MergeStats> merged = MergeMapParts(split_, "flip", 2);
  EXPECT_TRUE(absl::IsDataLoss(merged.status())) << merged.status();
  EXPECT_NE(merged.status().message().find("checksum"), std::string::npos) << merged.status();
  EXPECT_TRUE(Oracle(split_) == committed) << "nothing committed";
  EXPECT_TRUE(std::filesystem::exists(path)) << "the parts are left for a look";
}

TEST_F(MapPartsTest, APartNeverStartsFromACorruptTally) {
  {
    DirectoryMapper mapper(suffixes_.get());
    ASSERT_TRUE(mapper.Map(split_).ok());
  }
  // A byte of the committed sets flipped: its trailer is intact, its checksum not.
  std::string bytes = Oracle(split_);
  bytes[bytes.size() / 2] ^= 0x01;
  WriteFile(split_ + "/oracle.out", bytes);
  DirectoryMapper mapper(suffixes_.get());
  const PartSpec spec{"bad", 0, 2, {"0ulF5bjqNY9FK7Z5eWEXstv84wVZEMQLIcYw1LEXq40"}};
  absl::StatusOr<MapStats> stats = mapper.MapPart(split_, spec);
  EXPECT_TRUE(absl::IsFailedPrecondition(stats.status())) << stats.status();
  EXPECT_FALSE(std::filesystem::exists(MapPartMetaPath(split_, "bad", 0, 2)));
  // A whole map starts over and gets the one map's bytes.
  ASSERT_TRUE(mapper.Map(split_).ok());
  MapWhole();
  EXPECT_TRUE(Oracle(split_) == Oracle(one_));
}

// The certificates of each issuer's new bytes, estimated from a sample of
// each file, against the count of what the files hold: PEM blocks of the
// ct-gen directory, a segment of known records, and only the bytes after a
// committed tally's offsets.
TEST_F(MapPartsTest, UnmappedWorkEstimatesTheCertificatesOfTheNewBytes) {
  auto work = UnmappedWorkByStem(split_, std::nullopt, /*estimate_certificates=*/true);
  ASSERT_TRUE(work.ok()) << work.status();
  ASSERT_GE(work->size(), 8u);
  for (const auto& [stem, w] : *work) {
    uint64_t bytes = 0, blocks = 0;
    for (const std::string& name : ::ctmr::testing::ListDir(split_)) {
      if (name.rfind(stem + ".", 0) != 0) continue;
      const std::string text = ReadFile(split_ + "/" + name);
      bytes += text.size();
      if (name.size() > 4 && name.substr(name.size() - 4) == ".cer") {
        ++blocks;
        continue;
      }
      for (size_t at = text.find("-----BEGIN "); at != std::string::npos;
           at = text.find("-----BEGIN ", at + 1)) {
        ++blocks;
      }
    }
    EXPECT_EQ(w.bytes, bytes) << stem;
    // Sampled from each file's first 256 KiB; one issuer's ct-gen
    // certificates have similar sizes. A .cer counts one.
    EXPECT_NEAR(static_cast<double>(w.certificates), static_cast<double>(blocks),
                std::max(3.0, 0.05 * static_cast<double>(blocks)))
        << stem;
  }

  // A segment larger than the sample: 3,000 records in blocks of 64.
  const std::vector<std::string> real =
      ::ctmr::testing::CertificatesOfFile("tests/data/certs/navigli2025h2-tiles-000-001.pem");
  ASSERT_FALSE(real.empty());
  std::vector<std::string> ders;
  for (size_t i = 0; i < 3000; ++i) ders.push_back(real[i % real.size()]);
  const std::string segment = ::ctmr::testing::SegmentOf(ders, 64);
  ASSERT_GT(segment.size(), 256u << 10);
  const std::string dir = tmp_.path() + "/seg";
  std::filesystem::create_directories(dir);
  WriteFile(dir + "/issuer.ctseg", segment);
  auto seg = UnmappedWorkByStem(dir, std::nullopt, /*estimate_certificates=*/true);
  ASSERT_TRUE(seg.ok()) << seg.status();
  EXPECT_EQ(seg->at("issuer").bytes, segment.size());
  EXPECT_NEAR(static_cast<double>(seg->at("issuer").certificates), 3000.0, 60.0);

  // After a map, only what it left (a torn last block) is still to do.
  MapWhole();
  const std::optional<DirectoryTally> mapped = tally::LoadOracle(one_).value();
  ASSERT_TRUE(mapped.has_value());
  auto left = UnmappedWorkByStem(one_, mapped, /*estimate_certificates=*/false);
  ASSERT_TRUE(left.ok());
  uint64_t left_bytes = 0, expected = 0;
  for (const auto& [stem, w] : *left) left_bytes += w.bytes;
  for (const FileOffset& f : mapped->offsets()) {
    expected += std::filesystem::file_size(one_ + "/" + f.name()) - f.offset();
  }
  EXPECT_EQ(left_bytes, expected);
  EXPECT_LT(left_bytes, work->begin()->second.bytes / 10);
}

TEST(BalanceStemsTest, LargestFirstToTheLightestPart) {
  const std::vector<std::vector<std::string>> parts =
      BalanceStems({{"a", 10}, {"b", 7}, {"c", 5}, {"d", 3}, {"e", 0}}, 2);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], (std::vector<std::string>{"a", "d"}));
  EXPECT_EQ(parts[1], (std::vector<std::string>{"b", "c", "e"}));
}

// Eight issuers of a ct-gen day (MB): largest-first gives {490, 160, 144, 136}
// = 930 against 859; the best split is 902 against 887.
TEST(BalanceStemsTest, SwapsUntilTheHeaviestPartIsNoLongerLowered) {
  const std::map<std::string, uint64_t> bytes = {{"a", 490}, {"b", 487}, {"c", 182}, {"d", 160},
                                                 {"e", 144}, {"f", 135}, {"g", 136}, {"h", 55}};
  const std::vector<std::vector<std::string>> parts = BalanceStems(bytes, 2);
  ASSERT_EQ(parts.size(), 2u);
  uint64_t heaviest = 0;
  size_t stems = 0;
  for (const std::vector<std::string>& part : parts) {
    uint64_t load = 0;
    for (const std::string& stem : part) load += bytes.at(stem);
    heaviest = std::max(heaviest, load);
    stems += part.size();
  }
  EXPECT_EQ(stems, bytes.size());
  EXPECT_EQ(heaviest, 902u);
}

TEST(BalanceStemsTest, MoreStemsThanPartsAndMorePartsThanStems) {
  const std::vector<std::vector<std::string>> three =
      BalanceStems({{"a", 5}, {"b", 5}, {"c", 4}, {"d", 3}, {"e", 3}}, 3);
  ASSERT_EQ(three.size(), 3u);
  for (const std::vector<std::string>& part : three) EXPECT_FALSE(part.empty());
  const std::vector<std::vector<std::string>> four = BalanceStems({{"a", 1}, {"b", 2}}, 4);
  ASSERT_EQ(four.size(), 4u);
  size_t empty = 0;
  for (const std::vector<std::string>& part : four) empty += part.empty() ? 1 : 0;
  EXPECT_EQ(empty, 2u);
}

TEST(MapPartPathTest, UnderTheDataRootsState) {
  EXPECT_EQ(MapPartsDir("/ct/2026-11-20/"), "/ct/state/map-parts/2026-11-20");
  EXPECT_EQ(MapPartPath("/ct/2026-11-20", "r1", 0, 2),
            "/ct/state/map-parts/2026-11-20/r1.part-0-of-2");
  EXPECT_FALSE(CheckPartSpec({"../x", 0, 2, {}}).ok());
  EXPECT_FALSE(CheckPartSpec({"p", 2, 2, {}}).ok());
  EXPECT_FALSE(CheckPartSpec({"p", 0, 1, {}}).ok());
  EXPECT_TRUE(CheckPartSpec({"p", 1, 2, {}}).ok());
}

}  // namespace
}  // namespace ctmr::map
