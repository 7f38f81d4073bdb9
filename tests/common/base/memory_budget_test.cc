#include "common/base/memory_budget.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace ctmr::base {
namespace {

TEST(MemoryBudgetTest, ReservationsAddUpAndAreReleased) {
  MemoryBudget budget(100);
  {
    absl::StatusOr<MemoryBudget::Reservation> a = budget.Reserve(60, "a");
    ASSERT_TRUE(a.ok());
    absl::StatusOr<MemoryBudget::Reservation> b = budget.Reserve(40, "b");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(budget.reserved(), 100u);
    MemoryBudget::Reservation moved = std::move(*a);
    EXPECT_EQ(moved.bytes(), 60u);
    EXPECT_EQ(budget.reserved(), 100u);
  }
  EXPECT_EQ(budget.reserved(), 0u);
  EXPECT_EQ(budget.peak_reserved(), 100u);
}

TEST(MemoryBudgetTest, MoreThanTheCapacityFailsAtOnce) {
  MemoryBudget budget(100);
  absl::StatusOr<MemoryBudget::Reservation> r = budget.Reserve(101, "shard 1/2");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("shard 1/2 needs 101 bytes"), std::string::npos)
      << r.status();
}

TEST(MemoryBudgetTest, AReservationThatFitsWaitsForTheOthers) {
  MemoryBudget budget(100);
  absl::StatusOr<MemoryBudget::Reservation> held = budget.Reserve(80, "held");
  ASSERT_TRUE(held.ok());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    absl::StatusOr<MemoryBudget::Reservation> r = budget.Reserve(50, "waiter");
    EXPECT_TRUE(r.ok());
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(got);
  *held = MemoryBudget::Reservation();  // released
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(budget.peak_reserved(), 80u);
}

TEST(MemoryBudgetTest, ForProcessLeavesRoomForWhatTheProcessHolds) {
  const uint64_t resident = ResidentBytes();
  ASSERT_GT(resident, 0u);
  absl::StatusOr<std::unique_ptr<MemoryBudget>> budget =
      MemoryBudget::ForProcess(resident + kMemoryMargin + (64 << 20));
  ASSERT_TRUE(budget.ok()) << budget.status();
  // ForProcess measures the resident set again: pages the process gave back
  // in between (malloc trimming after the tests before) are room it may use.
  const uint64_t given_back = resident - std::min(resident, ResidentBytes());
  EXPECT_LE((*budget)->capacity(), (uint64_t{64} << 20) + given_back);
  EXPECT_GT((*budget)->capacity(), uint64_t{32} << 20);
  EXPECT_EQ(MemoryBudget::ForProcess(1 << 20).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(MemoryBudgetTest, ParsesSizes) {
  EXPECT_EQ(*ParseByteSize("1073741824"), uint64_t{1} << 30);
  EXPECT_EQ(*ParseByteSize("64MiB"), uint64_t{64} << 20);
  EXPECT_EQ(*ParseByteSize("64m"), uint64_t{64} << 20);
  EXPECT_EQ(*ParseByteSize("1GiB"), uint64_t{1} << 30);
  EXPECT_EQ(*ParseByteSize("512KB"), uint64_t{512} << 10);
  for (const char* bad : {"", "0", "MiB", "12 apples", "-5", "1.5G", "99999999999999999999"}) {
    EXPECT_EQ(ParseByteSize(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(FormatBytes(64 << 20), "64 MiB");
  EXPECT_EQ(FormatBytes(3 << 29), "1.5 GiB");
  EXPECT_EQ(FormatBytes(100), "100 bytes");
}

}  // namespace
}  // namespace ctmr::base
