// Parses arbitrary bytes as get-entries and get-sth JSON. Nothing may crash,
// leak, recurse without bound, or return more entries than asked for.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fetcher/verify/log_entry.h"
#include "fetcher/verify/tree_head.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<ctmr::verify::LogEntry>> entries =
      ctmr::verify::ParseGetEntriesResponse(input, 4);
  if (entries.ok()) {
    if (entries->size() > 4) std::abort();
    for (const ctmr::verify::LogEntry& e : *entries) (void)ctmr::verify::IssuerId(e);
  }
  (void)ctmr::verify::ParseGetSthResponse(input);
  return 0;
}
