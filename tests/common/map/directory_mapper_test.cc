#include "common/map/directory_mapper.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "common/tally/hash_set.h"
#include "common/tally/oracle_file.h"
#include "common/x509/certificate_class.h"
#include "gtest/gtest.h"
#include "tests/support/fifo_guard.h"
#include "tests/support/test_support.h"

namespace ctmr::map {
namespace {

using ::ctmr::testing::ReadFile;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

// 512 real precertificates of Let's Encrypt staging (Navigli 2025h2 tiles).
std::string NavigliPem() { return ReadFile("tests/data/certs/navigli2025h2-tiles-000-001.pem"); }

class DirectoryMapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto list = names::PublicSuffixList::LoadLatest();
    ASSERT_TRUE(list.ok()) << list.status();
    suffixes_ = std::move(*list);
    dir_ = tmp_.path() + "/2025-08-01";
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0);
  }

  MapStats MapOk() {
    DirectoryMapper mapper(suffixes_.get());
    absl::StatusOr<MapStats> stats = mapper.Map(dir_);
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? *stats : MapStats{};
  }

  DirectoryTally Tally() {
    auto t = tally::LoadOracle(dir_);
    EXPECT_TRUE(t.ok() && t->has_value());
    return t.ok() && t->has_value() ? **t : DirectoryTally{};
  }

  TempDir tmp_;
  std::unique_ptr<names::PublicSuffixList> suffixes_;
  std::string dir_;
};

TEST_F(DirectoryMapperTest, CountsRealPrecertificatesOncePerSerial) {
  const std::string pem = NavigliPem();
  ASSERT_FALSE(pem.empty());
  // The same log entries seen through two logs: every block twice.
  WriteFile(dir_ + "/issuer.pem", pem + pem);
  const MapStats stats = MapOk();
  EXPECT_TRUE(stats.committed);
  EXPECT_EQ(stats.certificates, 512u);
  EXPECT_EQ(stats.duplicates, 512u);
  EXPECT_EQ(stats.unparseable_blocks, 0u);
  const DirectoryTally t = Tally();
  ASSERT_EQ(t.issuers_size(), 1);
  EXPECT_EQ(t.issuers(0).issuer_id(), "issuer");
  EXPECT_EQ(t.issuers(0).serials().size(), 512u * 16);
  EXPECT_EQ(t.issuers(0).organization(), "(STAGING) Let's Encrypt");
  EXPECT_EQ(t.directory(), "2025-08-01");
  ASSERT_EQ(t.offsets_size(), 1);
  EXPECT_EQ(t.offsets(0).offset(), 2 * pem.size());
  uint64_t issued = 0;
  for (const DayCount& d : t.issuers(0).issued()) issued += d.certificates();
  EXPECT_EQ(issued, 512u);
  EXPECT_EQ(ReadFile(dir_ + "/oracle.out.offsets"),
            std::to_string(2 * pem.size()) + "\tissuer.pem\n");
}

TEST_F(DirectoryMapperTest, SecondRunReadsOnlyNewBytes) {
  const std::string pem = NavigliPem();
  const size_t half = pem.find("-----BEGIN", pem.size() / 2);
  WriteFile(dir_ + "/a.pem", pem.substr(0, half));
  const MapStats first = MapOk();
  EXPECT_EQ(first.bytes_read, half);
  const MapStats again = MapOk();
  EXPECT_FALSE(again.committed);
  EXPECT_EQ(again.bytes_read, 0u);
  ctmr::testing::AppendFile(dir_ + "/a.pem", pem.substr(half));
  const MapStats rest = MapOk();
  EXPECT_TRUE(rest.committed);
  EXPECT_EQ(rest.bytes_read, pem.size() - half);
  EXPECT_EQ(first.certificates + rest.certificates, 512u);
}

// Map, append more (cutting blocks anywhere, headers and garbage included),
// map again, ... must give the very same oracle.out as one map of the whole.
TEST_F(DirectoryMapperTest, TreeReadInPiecesEqualsOneRun) {
  std::string content = NavigliPem();
  content.insert(content.find("-----BEGIN", content.size() / 3),
                 "-----BEGIN CERTIFICATE-----\nLog: https://log.example/\nRecorded-at: "
                 "2025-01-01T00:00:00Z\n\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
                 "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  content += content.substr(0, content.size() / 4);  // copies from another log
  const std::string whole_dir = tmp_.path() + "/2025-08-02";
  ASSERT_EQ(::mkdir(whole_dir.c_str(), 0755), 0);
  WriteFile(whole_dir + "/x.pem", content);
  DirectoryMapper mapper(suffixes_.get());
  ASSERT_TRUE(mapper.Map(whole_dir).ok());
  DirectoryTally whole = **tally::LoadOracle(whole_dir);
  whole.set_directory("2025-08-01");
  EXPECT_EQ(whole.errors().unparseable_blocks(), 2u);

  std::mt19937 rng(7);
  for (int trial = 0; trial < 3; ++trial) {
    ::unlink((dir_ + "/oracle.out").c_str());
    WriteFile(dir_ + "/x.pem", "");
    size_t written = 0;
    while (written < content.size()) {
      const size_t piece = std::min<size_t>(content.size() - written, 1 + rng() % 40000);
      ctmr::testing::AppendFile(dir_ + "/x.pem", content.substr(written, piece));
      written += piece;
      MapOk();
    }
    std::string a, b;
    Tally().SerializeToString(&a);
    whole.SerializeToString(&b);
    EXPECT_EQ(a, b) << "trial " << trial;
  }
}

TEST_F(DirectoryMapperTest, StrayFilesAreCountedNotRead) {
  WriteFile(dir_ + "/notes.txt", "not certificates");
  WriteFile(dir_ + "/empty.pem", "");
  const MapStats stats = MapOk();
  EXPECT_EQ(stats.skipped_files, 1u);
  EXPECT_EQ(stats.certificates, 0u);
  EXPECT_EQ(Tally().errors().skipped_files(), 1u);
}

TEST_F(DirectoryMapperTest, UnreadableFileFailsAndKeepsTheCommittedTally) {
  WriteFile(dir_ + "/a.pem", NavigliPem());
  MapOk();
  const std::string before = ReadFile(dir_ + "/oracle.out");
  ASSERT_EQ(::symlink("/nonexistent/target.pem", (dir_ + "/dangling.pem").c_str()), 0);
  DirectoryMapper mapper(suffixes_.get());
  absl::StatusOr<MapStats> stats = mapper.Map(dir_);
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find("dangling.pem"), std::string::npos)
      << stats.status().message();
  EXPECT_EQ(ReadFile(dir_ + "/oracle.out"), before);

  ::unlink((dir_ + "/dangling.pem").c_str());
  ASSERT_EQ(::mkdir((dir_ + "/folder.pem").c_str(), 0755), 0);
  stats = mapper.Map(dir_);
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find("folder.pem"), std::string::npos);
}

// The PEM blocks of a text, each with its line break.
std::vector<std::string> Blocks(const std::string& pem) {
  std::vector<std::string> out;
  for (size_t at = pem.find("-----BEGIN"); at != std::string::npos;) {
    const size_t next = pem.find("-----BEGIN", at + 1);
    out.push_back(pem.substr(at, next == std::string::npos ? std::string::npos : next - at));
    at = next;
  }
  return out;
}

TEST_F(DirectoryMapperTest, FifoIsSkippedNotOpened) {
  const std::string pem = NavigliPem();
  WriteFile(dir_ + "/a.pem", pem);
  const std::string fifo = dir_ + "/evil.pem";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  absl::StatusOr<MapStats> stats;
  EXPECT_TRUE(ctmr::testing::FinishesWithoutAWriter(fifo, [&] {
    DirectoryMapper mapper(suffixes_.get());
    stats = mapper.Map(dir_);
  }));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->skipped_files, 1u);
  EXPECT_EQ(stats->certificates, 512u);
  EXPECT_EQ(stats->unparseable_blocks, 0u);
  const DirectoryTally t = Tally();
  EXPECT_EQ(t.errors().skipped_files(), 1u);
  ASSERT_EQ(t.offsets_size(), 1);
  EXPECT_EQ(t.offsets(0).name(), "a.pem");
  EXPECT_EQ(t.offsets(0).offset(), pem.size());
}

TEST_F(DirectoryMapperTest, DotFilesAreCountedNotRead) {
  const std::string pem = NavigliPem();
  WriteFile(dir_ + "/a.pem", pem);
  WriteFile(dir_ + "/.hidden.pem", pem);  // would be issuer ".hidden" if read
  WriteFile(dir_ + "/.nfs000000001", "x");
  const MapStats stats = MapOk();
  EXPECT_EQ(stats.skipped_files, 2u);
  EXPECT_EQ(stats.certificates, 512u);
  const DirectoryTally t = Tally();
  EXPECT_EQ(t.errors().skipped_files(), 2u);
  ASSERT_EQ(t.issuers_size(), 1);
  EXPECT_EQ(t.issuers(0).issuer_id(), "a");
  // The map's own files (oracle.out, oracle.out.offsets, their temp files)
  // are not counted: a second map finds nothing new.
  WriteFile(dir_ + "/oracle.out.tmp.1.0", "left by a crash");
  const MapStats again = MapOk();
  EXPECT_FALSE(again.committed);
  EXPECT_EQ(again.skipped_files, 2u);
}

// A last block whose END line lacks its '\n' is not complete: ct-fetch cuts
// it and writes the entry again, maybe after other entries. The map must not
// have counted it, or its offset would point into the bytes written since.
TEST_F(DirectoryMapperTest, LastBlockWithoutNewlineIsCountedOnceAfterRepair) {
  std::vector<std::string> blocks = Blocks(NavigliPem());
  ASSERT_GE(blocks.size(), 3u);
  std::sort(blocks.begin(), blocks.end(),
            [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  const std::string& shorter = blocks.front();
  const std::string& torn = blocks.back();
  const std::string& first = blocks[blocks.size() / 2];
  ASSERT_LT(shorter.size(), torn.size());
  ASSERT_EQ(torn.back(), '\n');

  const std::string path = dir_ + "/a.pem";
  WriteFile(path, first + torn.substr(0, torn.size() - 1));
  const MapStats before = MapOk();
  EXPECT_EQ(before.certificates, 1u);
  ASSERT_EQ(Tally().offsets_size(), 1);
  EXPECT_EQ(Tally().offsets(0).offset(), first.size());

  // ct-fetch's repair on restart: cut what is not complete, append again.
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(first.size())), 0);
  ctmr::testing::AppendFile(path, shorter + torn);
  const MapStats after = MapOk();
  EXPECT_EQ(after.certificates, 2u);
  EXPECT_EQ(after.duplicates, 0u);
  EXPECT_EQ(after.unparseable_blocks, 0u);
  EXPECT_EQ(Tally().offsets(0).offset(), first.size() + shorter.size() + torn.size());
}

// A date directory that is a symbolic link out of the data root is not
// mapped: the map would write oracle.out outside the root.
TEST_F(DirectoryMapperTest, SymlinkOutOfTheDataRootIsRefused) {
  const std::string root = tmp_.path() + "/root";
  const std::string outside = tmp_.path() + "/outside";
  ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  WriteFile(outside + "/a.pem", NavigliPem());
  const std::string link = root + "/2026-12-01";
  ASSERT_EQ(::symlink(outside.c_str(), link.c_str()), 0);
  for (const std::string& dir : {link, link + "/"}) {
    DirectoryMapper mapper(suffixes_.get());
    absl::StatusOr<MapStats> stats = mapper.Map(dir);
    ASSERT_FALSE(stats.ok()) << dir;
    EXPECT_EQ(stats.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(stats.status().message().find("resolves outside the data root"), std::string::npos)
        << stats.status();
    EXPECT_EQ(ctmr::testing::ListDir(outside), std::vector<std::string>{"a.pem"});
  }

  // A link that stays inside the root is followed.
  ASSERT_EQ(::mkdir((root + "/archive").c_str(), 0755), 0);
  ASSERT_EQ(::rename(outside.c_str(), (root + "/archive/2026-12-01").c_str()), 0);
  ASSERT_EQ(::unlink(link.c_str()), 0);
  ASSERT_EQ(::symlink("archive/2026-12-01", link.c_str()), 0);
  DirectoryMapper mapper(suffixes_.get());
  absl::StatusOr<MapStats> stats = mapper.Map(link);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->certificates, 512u);
}

// A tally that is cut short (even at a field boundary, where the prefix still
// parses), corrupted, or garbage is never built upon: the directory is mapped
// again from the start, and the result equals a fresh map.
// Every certificate counted once in each kind of class (DESIGN.md §3.1), and
// per issued day by lifetime.
TEST_F(DirectoryMapperTest, CountsEachCertificateInOneClassOfEachKind) {
  WriteFile(dir_ + "/a.pem", NavigliPem() + NavigliPem());
  ASSERT_EQ(MapOk().certificates, 512u);
  const DirectoryTally t = Tally();
  ASSERT_EQ(t.issuers_size(), 1);
  const Breakdown& c = t.issuers(0).classes();
  ASSERT_EQ(c.lifetime_size(), x509::kLifetimeClasses);
  ASSERT_EQ(c.key_size(), x509::kKeyClasses);
  ASSERT_EQ(c.validation_size(), x509::kValidationClasses);
  const auto sum = [](const auto& list) {
    uint64_t n = 0;
    for (uint64_t v : list) n += v;
    return n;
  };
  EXPECT_EQ(sum(c.lifetime()), 512u);
  EXPECT_EQ(sum(c.key()), 512u);
  EXPECT_EQ(sum(c.validation()), 512u);
  // Let's Encrypt's staging certificates: 90-day, DV.
  EXPECT_EQ(c.lifetime(static_cast<int>(x509::Lifetime::kUpTo100Days)), 512u);
  EXPECT_EQ(c.validation(static_cast<int>(x509::Validation::kDv)), 512u);
  std::vector<uint64_t> by_day(x509::kLifetimeClasses, 0);
  for (const DayCount& d : t.issuers(0).issued()) {
    ASSERT_EQ(d.lifetime_size(), x509::kLifetimeClasses);
    EXPECT_EQ(sum(d.lifetime()), d.certificates());
    for (int k = 0; k < d.lifetime_size(); ++k) by_day[static_cast<size_t>(k)] += d.lifetime(k);
  }
  EXPECT_EQ(by_day, std::vector<uint64_t>(c.lifetime().begin(), c.lifetime().end()));
}

// A tally of format 1 (before the classes) is not read as one without
// certificates in any class: the directory is mapped again from the start.
TEST_F(DirectoryMapperTest, AnOldFormatTallyIsMappedAgain) {
  WriteFile(dir_ + "/a.pem", NavigliPem());
  ASSERT_EQ(MapOk().certificates, 512u);
  const DirectoryTally fresh = Tally();
  DirectoryTally old = fresh;
  old.set_format_version(1);
  for (IssuerTally& i : *old.mutable_issuers()) {
    i.clear_classes();
    for (DayCount& d : *i.mutable_issued()) d.clear_lifetime();
  }
  ASSERT_TRUE(tally::CommitOracle(dir_, old).ok());
  const MapStats again = MapOk();
  EXPECT_TRUE(again.committed);
  EXPECT_EQ(again.certificates, 512u);  // every certificate read again
  std::string want, got;
  ASSERT_TRUE(fresh.SerializeToString(&want));
  ASSERT_TRUE(Tally().SerializeToString(&got));
  EXPECT_EQ(got, want);
}

TEST_F(DirectoryMapperTest, ABadTallyIsMappedAgainFromTheStart) {
  WriteFile(dir_ + "/a.pem", NavigliPem());
  const MapStats fresh = MapOk();
  ASSERT_EQ(fresh.certificates, 512u);
  std::string want;
  ASSERT_TRUE(Tally().SerializeToString(&want));
  const std::string good = ReadFile(dir_ + "/oracle.out");
  // Every top-level field boundary of the payload, and a few other cuts.
  std::vector<size_t> cuts = {0, 3, good.size() / 2, good.size() - 1};
  {
    // A prefix that ends at a field boundary is itself a valid message: the
    // bug this guards against was exactly such a prefix being accepted.
    size_t at = 0;
    const std::string payload = good.substr(0, good.size() - tally::kOracleTrailerSize);
    while (at < payload.size()) {
      // Each top-level field: a tag, then a varint (a length for messages
      // and strings, the value itself for format_version).
      const size_t start = at;
      uint64_t tag = 0;
      int shift = 0;
      while (static_cast<uint8_t>(payload[at]) & 0x80) {
        tag |= uint64_t{static_cast<uint8_t>(payload[at++]) & 0x7fu} << shift;
        shift += 7;
      }
      tag |= uint64_t{static_cast<uint8_t>(payload[at++])} << shift;
      uint64_t len = 0;
      shift = 0;
      while (static_cast<uint8_t>(payload[at]) & 0x80) {
        len |= uint64_t{static_cast<uint8_t>(payload[at++]) & 0x7fu} << shift;
        shift += 7;
      }
      len |= uint64_t{static_cast<uint8_t>(payload[at++])} << shift;
      if ((tag & 7) == 2) at += len;  // varint fields: `len` was the value
      cuts.push_back(start);
    }
  }
  for (size_t cut : cuts) {
    for (const std::string& broken : {good.substr(0, cut), good.substr(0, cut) + "\xff\xff"}) {
      WriteFile(dir_ + "/oracle.out", broken);
      const MapStats again = MapOk();
      EXPECT_EQ(again.certificates, 512u) << "cut at " << cut;
      std::string got;
      ASSERT_TRUE(Tally().SerializeToString(&got));
      EXPECT_EQ(got, want) << "cut at " << cut;
    }
  }
  // A changed byte: the checksum.
  std::string flipped = good;
  flipped[flipped.size() / 3] ^= 0x01;
  WriteFile(dir_ + "/oracle.out", flipped);
  EXPECT_EQ(MapOk().certificates, 512u);
}

}  // namespace
}  // namespace ctmr::map
