#include "fetcher/data_files.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/segment/segment.h"
#include "common/x509/certificate_file_reader.h"
#include "tests/support/test_support.h"
#include "tools/ct_gen/certificate_template.h"
#include "tools/ct_gen/issuers.h"

namespace ctmr::fetch {
namespace {

std::string Block(int writer, int i) {
  // The shape of a ct-fetch block, long enough to span buffer flushes.
  return absl::StrCat("-----BEGIN CERTIFICATE-----\nLog: w", writer, "\n\n", std::string(700, 'A'),
                      i, "\n-----END CERTIFICATE-----\n");
}

// Several followers append to the same files at once: every block lands
// whole, once, and a Sync by any of them covers everything appended before.
TEST(DataFilesTest, ConcurrentAppendsToSharedFilesLandWhole) {
  ctmr::testing::TempDir tmp;
  DataFiles files(tmp.path());
  constexpr int kWriters = 4;
  constexpr int kBlocks = 2000;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&files, w] {
      uint64_t epoch = files.epoch();
      for (int i = 0; i < kBlocks; ++i) {
        // Two days, three issuers: files shared by every writer.
        ASSERT_TRUE(files
                        .Append(i % 2 ? "2026-01-01" : "2026-01-02",
                                absl::StrCat("issuer", i % 3, ".pem"), Block(w, i))
                        .ok());
        if (i % 500 == 499) {
          ASSERT_TRUE(files.Sync(&epoch).ok());
        }
      }
      ASSERT_TRUE(files.Sync(&epoch).ok());
    });
  }
  for (std::thread& t : threads) t.join();
  std::map<std::string, int> seen;
  for (const char* day : {"2026-01-01", "2026-01-02"}) {
    for (const std::string& name : ctmr::testing::ListDir(absl::StrCat(tmp.path(), "/", day))) {
      const std::string text =
          ctmr::testing::ReadFile(absl::StrCat(tmp.path(), "/", day, "/", name));
      for (absl::string_view block : absl::StrSplit(text, "-----BEGIN CERTIFICATE-----\n")) {
        if (block.empty()) continue;
        ++seen[std::string(block)];
      }
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kWriters * kBlocks));
  for (const auto& [block, n] : seen) EXPECT_EQ(n, 1) << block;
}

// A write that fails (here EFBIG past RLIMIT_FSIZE, as ENOSPC on a full
// disk) fails the next Sync of every caller that appended before it, since a
// buffer holds blocks of several logs; the failed bytes are cut from the file.
TEST(DataFilesTest, AFailedWriteFailsEveryCallersNextSync) {
  ctmr::testing::TempDir tmp;
  DataFiles files(tmp.path());
  uint64_t a = files.epoch();
  uint64_t b = files.epoch();
  ASSERT_TRUE(files.Append("2026-01-01", "x.pem", Block(0, 0)).ok());
  ASSERT_TRUE(files.Sync(&a).ok());
  const std::string path = tmp.path() + "/2026-01-01/x.pem";
  const size_t synced = ctmr::testing::ReadFile(path).size();

  ASSERT_TRUE(files.Append("2026-01-01", "x.pem", Block(1, 1)).ok());  // b's, buffered
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = synced + 100;  // the next block does not fit
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const absl::Status failed = files.Sync(&a);  // a's Sync writes b's block: it fails
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, SIG_DFL);
  EXPECT_TRUE(absl::IsUnavailable(failed)) << failed;
  EXPECT_EQ(ctmr::testing::ReadFile(path).size(), synced) << "the failed write was not cut";

  // b never saw the error itself, but its block is gone: its Sync must fail,
  // once; then both start again from a clean epoch.
  const absl::Status b_sync = files.Sync(&b);
  EXPECT_TRUE(absl::IsUnavailable(b_sync)) << b_sync;
  EXPECT_NE(b_sync.message().find("failed since the last sync"), absl::string_view::npos);
  ASSERT_TRUE(files.Append("2026-01-01", "x.pem", Block(1, 1)).ok());
  EXPECT_TRUE(files.Sync(&b).ok());
  EXPECT_TRUE(files.Sync(&a).ok());
  EXPECT_EQ(ctmr::testing::ReadFile(path), Block(0, 0) + Block(1, 1));
}

// ---- The compact format: one record per (issuer, serial) and date directory.

class CompactDataFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::vector<ctgen::Issuer>> issuers = ctgen::MakeIssuers(7);
    ASSERT_TRUE(issuers.ok());
    template_ = std::make_unique<ctgen::CertificateTemplate>((*issuers)[0]);
  }

  // A real leaf (the serial is `n`'s bytes), precertificate or final.
  std::string Leaf(int n, bool precertificate = false) const {
    ctgen::LeafSpec spec;
    spec.serial = std::string("\x01", 1) + absl::StrCat(n);
    spec.not_before = 1767225600;
    spec.not_after = spec.not_before + 90 * 86400;
    spec.san_dns = {absl::StrCat("host", n, ".example.com")};
    spec.precertificate = precertificate;
    std::string der;
    template_->Build(spec, &der);
    return der;
  }
  static std::string Serial(int n) { return std::string("\x01", 1) + absl::StrCat(n); }

  // The DERs of a segment, in order, and its bad blocks.
  static std::vector<std::string> Records(const std::string& path, uint64_t* bad = nullptr) {
    std::vector<std::string> ders;
    absl::StatusOr<x509::FileReadResult> r = x509::ReadCertificateFile(
        path, 0, x509::CertificateFileFormat::kSegment, [&](std::string_view der) {
          ders.emplace_back(der);
          return true;
        });
    EXPECT_TRUE(r.ok()) << r.status();
    if (bad != nullptr && r.ok()) {
      *bad = r->malformed_blocks;
    }
    return ders;
  }

  std::string Segment() const { return tmp_.path() + "/2026-04-01/ISS.ctseg"; }

  absl::StatusOr<bool> Add(DataFiles* files, int n, const char* log = "https://a.example/") {
    return files->AppendCertificate("2026-04-01", "ISS", log, 1000 + n, Leaf(n), Serial(n));
  }

  ctmr::testing::TempDir tmp_;
  std::unique_ptr<ctgen::CertificateTemplate> template_;
};

// The same certificate from two logs, and a precertificate with its final
// certificate's serial, are stored once; the first sighting is kept.
TEST_F(CompactDataFilesTest, StoresEachSerialOnceWhicheverLogAndKind) {
  DataFiles files(tmp_.path());
  uint64_t epoch = files.epoch();
  ASSERT_TRUE(*Add(&files, 1, "https://a.example/"));
  EXPECT_FALSE(*Add(&files, 1, "https://b.example/"));
  ASSERT_TRUE(*files.AppendCertificate("2026-04-01", "ISS", "https://b.example/", 5,
                                       Leaf(2, /*precertificate=*/true), Serial(2)));
  EXPECT_FALSE(
      *files.AppendCertificate("2026-04-01", "ISS", "https://a.example/", 6, Leaf(2), Serial(2)));
  // Another date directory or issuer is another set.
  EXPECT_TRUE(*files.AppendCertificate("2026-04-02", "ISS", "u", 7, Leaf(1), Serial(1)));
  EXPECT_TRUE(*files.AppendCertificate("2026-04-01", "OTHER", "u", 8, Leaf(1), Serial(1)));
  ASSERT_TRUE(files.Sync(&epoch).ok());
  const std::vector<std::string> stored = Records(Segment());
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0], Leaf(1));
  EXPECT_EQ(stored[1], Leaf(2, /*precertificate=*/true));
}

// Concurrent followers sharing entries: each serial lands once.
TEST_F(CompactDataFilesTest, ConcurrentFollowersStoreSharedEntriesOnce) {
  std::vector<std::string> leaves;
  for (int n = 0; n < 600; ++n) leaves.push_back(Leaf(n));
  DataFiles files(tmp_.path());
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      uint64_t epoch = files.epoch();
      for (int i = 0; i < 600; ++i) {
        const int n = (i * (w + 1)) % 600;  // every writer meets every serial, in its own order
        ASSERT_TRUE(files
                        .AppendCertificate("2026-04-01", "ISS", absl::StrCat("log", w), n,
                                           leaves[n], Serial(n))
                        .ok());
        if (i % 100 == 99) {
          ASSERT_TRUE(files.Sync(&epoch).ok());
        }
      }
      ASSERT_TRUE(files.Sync(&epoch).ok());
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<std::string> stored = Records(Segment());
  std::sort(stored.begin(), stored.end());
  std::sort(leaves.begin(), leaves.end());
  EXPECT_EQ(stored, leaves);
}

// A clean shutdown saves the index; the next process reads it, not the segment.
TEST_F(CompactDataFilesTest, TheIndexIsSavedAndLoaded) {
  {
    DataFiles files(tmp_.path());
    uint64_t epoch = files.epoch();
    for (int n = 0; n < 300; ++n) ASSERT_TRUE(*Add(&files, n));
    ASSERT_TRUE(files.Sync(&epoch).ok());
  }
  ASSERT_EQ(::access((tmp_.path() + "/state/serials/2026-04-01/ISS.idx").c_str(), F_OK), 0);
  DataFiles files(tmp_.path());
  EXPECT_FALSE(*Add(&files, 7));
  EXPECT_TRUE(*Add(&files, 300));
  const SerialIndexStats stats = files.serial_stats();
  EXPECT_EQ(stats.loaded, 1u);
  EXPECT_EQ(stats.rebuilt, 0u);
  EXPECT_EQ(stats.records_read, 0u);
}

// The index is missing, behind its segment (a crash after a sync), or of
// another segment (rewritten by `ct-worker compact`): the set is rebuilt
// from the data, and nothing is stored twice.
TEST_F(CompactDataFilesTest, AMissingBehindOrForeignIndexIsRebuiltFromTheData) {
  const std::string index = tmp_.path() + "/state/serials/2026-04-01/ISS.idx";
  {
    DataFiles files(tmp_.path());
    uint64_t epoch = files.epoch();
    for (int n = 0; n < 100; ++n) ASSERT_TRUE(*Add(&files, n));
    ASSERT_TRUE(files.Sync(&epoch).ok());
  }
  const std::string old_index = ctmr::testing::ReadFile(index);
  {
    DataFiles files(tmp_.path());
    uint64_t epoch = files.epoch();
    for (int n = 100; n < 200; ++n) ASSERT_TRUE(*Add(&files, n));
    ASSERT_TRUE(files.Sync(&epoch).ok());
  }
  // Behind: the first 100 from the index, the next 100 from the segment.
  ctmr::testing::WriteFile(index, old_index);
  {
    DataFiles files(tmp_.path());
    for (int n = 0; n < 200; n += 19) EXPECT_FALSE(*Add(&files, n)) << n;
    EXPECT_EQ(files.serial_stats().loaded, 1u);
    EXPECT_EQ(files.serial_stats().records_read, 100u);
  }
  // Missing.
  ASSERT_EQ(::unlink(index.c_str()), 0);
  {
    DataFiles files(tmp_.path());
    for (int n = 0; n < 200; n += 19) EXPECT_FALSE(*Add(&files, n)) << n;
    EXPECT_EQ(files.serial_stats().loaded, 0u);
    EXPECT_EQ(files.serial_stats().records_read, 200u);
  }
  // Foreign: the segment now holds other certificates (as after a rewrite),
  // with the old index beside it. The index must not make them duplicates.
  ctmr::testing::WriteFile(index, old_index);
  {
    segment::BlockBuilder builder;
    std::string bytes;
    std::vector<std::string> ders;
    for (int n = 1000; n < 1150; ++n) ders.push_back(Leaf(n));
    std::vector<segment::Record> records;
    for (const std::string& d : ders) records.push_back({"", 0, d});
    ASSERT_TRUE(builder.AppendBlock(records, &bytes).ok());
    ctmr::testing::WriteFile(Segment(), bytes);
  }
  DataFiles files(tmp_.path());
  EXPECT_TRUE(*Add(&files, 5));
  EXPECT_FALSE(*Add(&files, 1100));
  EXPECT_EQ(files.serial_stats().loaded, 0u);
}

// A torn block (a crash mid-write) is cut before the next append; the map's
// offset, which never passes a torn block, stays valid.
TEST_F(CompactDataFilesTest, ATornBlockIsCutBeforeAppending) {
  std::string whole;
  {
    DataFiles files(tmp_.path());
    uint64_t epoch = files.epoch();
    for (int n = 0; n < 10; ++n) ASSERT_TRUE(*Add(&files, n));
    ASSERT_TRUE(files.Sync(&epoch).ok());
    whole = ctmr::testing::ReadFile(Segment());
  }
  // Half of a block of one more certificate.
  segment::BlockBuilder builder;
  std::string block;
  const std::string leaf = Leaf(10);
  ASSERT_TRUE(builder.AppendBlock({{"u", 1, leaf}}, &block).ok());
  ctmr::testing::AppendFile(Segment(), block.substr(0, block.size() / 2));
  DataFiles files(tmp_.path());
  uint64_t epoch = files.epoch();
  EXPECT_TRUE(*Add(&files, 10));  // not stored: the torn copy does not count
  ASSERT_TRUE(files.Sync(&epoch).ok());
  EXPECT_EQ(files.serial_stats().torn_cut, 1u);
  uint64_t bad = 0;
  EXPECT_EQ(Records(Segment(), &bad).size(), 11u);
  EXPECT_EQ(bad, 0u);
}

// Under a tiny budget the sets are saved and dropped after each sync, and
// read again when needed: still one record per serial.
TEST_F(CompactDataFilesTest, SetsOverTheBudgetAreSavedAndReadAgain) {
  DataFilesOptions options;
  options.serial_memory = 1;
  DataFiles files(tmp_.path(), options);
  uint64_t epoch = files.epoch();
  for (int round = 0; round < 2; ++round) {
    for (int day = 1; day <= 5; ++day) {
      const std::string dir = absl::StrCat("2026-04-0", day);
      for (int n = 0; n < 50; ++n) {
        absl::StatusOr<bool> stored =
            files.AppendCertificate(dir, "ISS", "u", n, Leaf(n), Serial(n));
        ASSERT_TRUE(stored.ok());
        EXPECT_EQ(*stored, round == 0) << dir << " " << n;
      }
      ASSERT_TRUE(files.Sync(&epoch).ok());
    }
  }
  EXPECT_GE(files.serial_stats().evicted, 9u);
  EXPECT_GE(files.serial_stats().loaded, 5u);
  for (int day = 1; day <= 5; ++day) {
    EXPECT_EQ(Records(absl::StrCat(tmp_.path(), "/2026-04-0", day, "/ISS.ctseg")).size(), 50u);
  }
}

// A failed write is cut from the segment and the serials it held are
// forgotten: fetched again, those certificates are stored, not skipped.
TEST_F(CompactDataFilesTest, AFailedWriteForgetsTheSerialsItLost) {
  DataFiles files(tmp_.path());
  uint64_t epoch = files.epoch();
  ASSERT_TRUE(*Add(&files, 0));
  ASSERT_TRUE(files.Sync(&epoch).ok());
  const size_t synced = ctmr::testing::ReadFile(Segment()).size();
  for (int n = 1; n < 20; ++n) ASSERT_TRUE(*Add(&files, n));
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = synced + 100;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const absl::Status failed = files.Sync(&epoch);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, SIG_DFL);
  EXPECT_TRUE(absl::IsUnavailable(failed)) << failed;
  EXPECT_EQ(ctmr::testing::ReadFile(Segment()).size(), synced);
  EXPECT_FALSE(*Add(&files, 0));  // durable before the failure
  for (int n = 1; n < 20; ++n) EXPECT_TRUE(*Add(&files, n)) << n;
  ASSERT_TRUE(files.Sync(&epoch).ok());
  EXPECT_EQ(Records(Segment()).size(), 20u);
}

}  // namespace
}  // namespace ctmr::fetch
