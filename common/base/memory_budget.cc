#include "common/base/memory_budget.h"

#include <malloc.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ctmr::base {

absl::StatusOr<std::unique_ptr<MemoryBudget>> MemoryBudget::ForProcess(uint64_t limit) {
  ::mallopt(M_MMAP_THRESHOLD, 256 << 10);
  ::malloc_trim(0);
  const uint64_t resident = ResidentBytes();
  if (limit <= resident + kMemoryMargin) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the memory limit of ", FormatBytes(limit),
        " leaves nothing for the hash sets (of a reduce or a map): the process ", "already holds ",
        FormatBytes(resident), " and needs ", FormatBytes(kMemoryMargin), " besides"));
  }
  return std::make_unique<MemoryBudget>(limit - resident - kMemoryMargin);
}

MemoryBudget::Reservation::Reservation(Reservation&& other) noexcept { *this = std::move(other); }

MemoryBudget::Reservation& MemoryBudget::Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    if (budget_ != nullptr) budget_->Release(bytes_);
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

MemoryBudget::Reservation::~Reservation() {
  if (budget_ != nullptr) budget_->Release(bytes_);
}

absl::StatusOr<MemoryBudget::Reservation> MemoryBudget::Reserve(uint64_t bytes,
                                                                std::string_view what) {
  if (bytes > capacity_) {
    return absl::ResourceExhaustedError(
        absl::StrCat(std::string(what), " needs ", FormatBytes(bytes),
                     ", more than the memory budget of ", FormatBytes(capacity_)));
  }
  std::unique_lock<std::mutex> lock(mu_);
  freed_.wait(lock, [&] { return reserved_ + bytes <= capacity_; });
  reserved_ += bytes;
  peak_ = std::max(peak_, reserved_);
  return Reservation(this, bytes);
}

void MemoryBudget::Release(uint64_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    reserved_ -= bytes;
  }
  freed_.notify_all();
}

uint64_t MemoryBudget::reserved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reserved_;
}

uint64_t MemoryBudget::peak_reserved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}

uint64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

absl::StatusOr<uint64_t> ParseByteSize(std::string_view text) {
  std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(std::string(text)));
  size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  const std::string unit = s.substr(digits);
  int shift = -1;
  if (unit.empty() || unit == "b") shift = 0;
  if (unit == "k" || unit == "kb" || unit == "kib") shift = 10;
  if (unit == "m" || unit == "mb" || unit == "mib") shift = 20;
  if (unit == "g" || unit == "gb" || unit == "gib") shift = 30;
  if (unit == "t" || unit == "tb" || unit == "tib") shift = 40;
  uint64_t n = 0;
  if (digits == 0 || shift < 0 || !absl::SimpleAtoi(s.substr(0, digits), &n) || n == 0 ||
      n > (~uint64_t{0} >> shift)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(text), "' is not a size (e.g. 1073741824, 512MiB, 1GiB)"));
  }
  return n << shift;
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " bytes");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return v == static_cast<double>(static_cast<uint64_t>(v))
             ? absl::StrCat(static_cast<uint64_t>(v), " ", units[u])
             : absl::StrFormat("%.1f %s", v, units[u]);
}

}  // namespace ctmr::base
