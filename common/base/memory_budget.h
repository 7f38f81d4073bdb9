// MemoryBudget: how many bytes of hash sets a process may hold at once while
// it counts reduce shards (and, for a worker, runs map tasks, which reserve
// their thread's share for their length), so that the process stays under a
// memory limit (--memory-limit) whatever the size of the corpus.
//
// Every large allocation of a shard (its hash sets, which are all it holds
// that grows with the corpus) is reserved here first, at its exact size.
// Reserve() waits while other threads hold the budget, so shards running at
// once share it; a request larger than the whole budget fails at once with
// ResourceExhausted naming the sizes, and the caller splits the shard in two.
// The limit is thus met by planning, checked before allocating, and a shard
// that would not fit becomes smaller work or a clear error, never an OOM kill.
//
// Why not setrlimit(RLIMIT_AS) or RLIMIT_DATA: they bound address space, not
// memory. glibc reserves 64 MiB of address space per thread arena and every
// thread stack counts in full, so a limit low enough to matter (64 MiB) stops
// a process that uses a fraction of it, and when it does bite, allocation
// fails somewhere arbitrary (a std::bad_alloc in protobuf or ZeroMQ). A cgroup
// limit (systemd MemoryMax=) is the right backstop around the process; this
// budget is what keeps the process under it.
#ifndef CT_COMMON_BASE_MEMORY_BUDGET_H_
#define CT_COMMON_BASE_MEMORY_BUDGET_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ctmr::base {

inline constexpr uint64_t kDefaultMemoryLimit = uint64_t{1} << 30;  // 1 GiB
// What a process needs besides the budget while it counts a shard: file
// buffers and the small fields of the tallies it reads, per-issuer counters,
// allocator slack.
inline constexpr uint64_t kMemoryMargin = uint64_t{8} << 20;

class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t capacity) : capacity_(capacity) {}

  // The budget of a process that must stay under `limit` bytes: the limit
  // less what the process holds now and kMemoryMargin. Before measuring, it
  // returns freed heap to the system (malloc_trim) and makes glibc serve
  // allocations of 256 KiB and more with mmap, so that a hash set freed by
  // one shard is given back before the next is allocated (mallopt; this
  // affects the whole process). ResourceExhausted when the limit leaves
  // nothing.
  static absl::StatusOr<std::unique_ptr<MemoryBudget>> ForProcess(uint64_t limit);

  // Bytes held until destroyed (movable).
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& other) noexcept;
    Reservation& operator=(Reservation&& other) noexcept;
    ~Reservation();
    uint64_t bytes() const { return bytes_; }

   private:
    friend class MemoryBudget;
    Reservation(MemoryBudget* budget, uint64_t bytes) : budget_(budget), bytes_(bytes) {}
    MemoryBudget* budget_ = nullptr;
    uint64_t bytes_ = 0;
  };

  // Waits until `bytes` are free and takes them. ResourceExhausted, naming
  // `what`, when `bytes` exceeds the whole capacity.
  absl::StatusOr<Reservation> Reserve(uint64_t bytes, std::string_view what);

  uint64_t capacity() const { return capacity_; }
  uint64_t reserved() const;
  uint64_t peak_reserved() const;  // the most held at once

 private:
  void Release(uint64_t bytes);

  const uint64_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  uint64_t reserved_ = 0;
  uint64_t peak_ = 0;
};

// This process's resident set now (/proc/self/statm), in bytes; 0 if unknown.
uint64_t ResidentBytes();

// "1073741824", "64MiB", "64M", "1GiB", "1G", "512KiB", "512K" (binary units,
// case-insensitive, optional "B"); InvalidArgument otherwise or for zero.
absl::StatusOr<uint64_t> ParseByteSize(std::string_view text);

// "64 MiB", "1.5 GiB", "512 bytes": for messages.
std::string FormatBytes(uint64_t bytes);

}  // namespace ctmr::base

#endif  // CT_COMMON_BASE_MEMORY_BUDGET_H_
