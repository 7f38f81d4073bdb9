#include "fetcher/data_files.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/test_support.h"

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
        if (i % 500 == 499) ASSERT_TRUE(files.Sync(&epoch).ok());
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

}  // namespace
}  // namespace ctmr::fetch
