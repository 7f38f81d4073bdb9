// Parses arbitrary text as a checkpoint and verifies it against a real log
// key, both under its own origin and the real Willow origin. Nothing may
// crash, and nothing but the real signature may verify (a forgery would abort).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fetcher/verify/tree_head.h"

namespace {

const ctmr::verify::LogKey& WillowKey() {
  static const ctmr::verify::LogKey* key = [] {
    absl::StatusOr<ctmr::verify::LogKey> k = ctmr::verify::LogKey::FromBase64(
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbNmWXyYsF2pohGOAiNELea6UL4/XioI3w6ChE5Udlos0HUqM7KOH"
        "IP9qBuWCVs6VAdtDXrvanmxKq52Whh2+2w==");
    if (!k.ok()) std::abort();
    return new ctmr::verify::LogKey(*std::move(k));
  }();
  return *key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ctmr::verify::Checkpoint> cp = ctmr::verify::ParseCheckpoint(input);
  if (cp.ok()) {
    (void)ctmr::verify::VerifyCheckpoint(*cp, cp->origin, WillowKey());
    absl::StatusOr<ctmr::verify::SignedTreeHead> sth =
        ctmr::verify::VerifyCheckpoint(*cp, "willow.ct.letsencrypt.org/2025h1b", WillowKey());
    // Only the one real signed head can verify.
    if (sth.ok() && sth->tree_size != 1237717073u) std::abort();
  }
  (void)ctmr::verify::ParseGetSthResponse(input);
  return 0;
}
