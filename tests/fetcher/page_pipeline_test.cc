#include "fetcher/page_pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace ctmr::fetch {
namespace {

// Results come back in queue order whatever order the lanes finish in, a
// remainder pushed to the front is next, and no more than max_ahead jobs are
// ever taken at once (back-pressure: a full queue stops the fetching).
TEST(PagePipelineTest, InOrderFrontFirstAndBounded) {
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  int max_in_flight = 0;
  std::atomic<int> calls{0};
  {
    PagePipeline<uint64_t> pipeline(4, 3, [&](const PageJob& job, int) {
      {
        std::lock_guard<std::mutex> lock(mu);
        ++in_flight;
        max_in_flight = std::max(max_in_flight, in_flight);
      }
      ++calls;
      {
        std::lock_guard<std::mutex> lock(mu);
        --in_flight;
      }
      return job.start * 10;
    });
    uint64_t next = 0;
    std::vector<uint64_t> got;
    for (int round = 0; round < 20; ++round) {
      while (pipeline.HasRoom()) pipeline.Push({next, next + 1}), ++next;
      EXPECT_LE(pipeline.size(), 3u);
      auto [job, result] = pipeline.Pop();
      got.push_back(result);
      if (round == 5) pipeline.PushFront({1000, 1001});
    }
    std::vector<uint64_t> want;
    for (uint64_t i = 0; i < 6; ++i) want.push_back(i * 10);
    want.push_back(10000);  // the front job, right after the one that pushed it
    for (uint64_t i = 6; i < 19; ++i) want.push_back(i * 10);
    EXPECT_EQ(got, want);
  }
  EXPECT_LE(max_in_flight, 3);
  EXPECT_GE(calls.load(), 20);
}

}  // namespace
}  // namespace ctmr::fetch
