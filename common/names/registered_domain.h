// Registered domains (DESIGN.md §3) through libpsl.
//
// PublicSuffixList owns the list, loaded once per process with
// psl_latest(NULL): the system list (ICANN and private sections, from Debian's
// publicsuffix package) or libpsl's built-in one, whichever is newer. It is
// immutable after loading and may be shared by threads.
//
// RegisteredDomainCache remembers the answer for every distinct name, and
// for every suffix libpsl was asked about, so that libpsl sees each suffix once
// per map task; it belongs to one task (one thread).
#ifndef CT_COMMON_NAMES_REGISTERED_DOMAIN_H_
#define CT_COMMON_NAMES_REGISTERED_DOMAIN_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/base/hash128.h"

struct psl_ctx_st;

namespace ctmr::names {

class PublicSuffixList {
 public:
  static absl::StatusOr<std::unique_ptr<PublicSuffixList>> LoadLatest();
  ~PublicSuffixList();
  PublicSuffixList(const PublicSuffixList&) = delete;
  PublicSuffixList& operator=(const PublicSuffixList&) = delete;

  // The registered domain of a normalized FQDN (a leading "*." is ignored), or
  // nullopt when libpsl finds none (the name is itself a public suffix).
  std::optional<std::string> RegisteredDomain(const std::string& fqdn) const;

  // psl_is_public_suffix(): whether `name` (NUL-terminated) is a public suffix.
  bool IsPublicSuffix(const char* name) const;

 private:
  explicit PublicSuffixList(psl_ctx_st* ctx) : ctx_(ctx) {}
  psl_ctx_st* ctx_;
};

class RegisteredDomainCache {
 public:
  explicit RegisteredDomainCache(const PublicSuffixList* list) : list_(list) {}

  // The hash of the registered domain of the normalized FQDN `fqdn` (a
  // leading "*." is ignored), or nullopt if it has none; `fqdn` must be
  // followed by a NUL byte in memory. Equal to hashing
  // PublicSuffixList::RegisteredDomain(fqdn): it runs the same left-to-right
  // walk as psl_registrable_domain(), asking psl_is_public_suffix() about
  // each suffix in turn.
  //
  // What is cached is chosen for speed at millions of names per task: the
  // answers for suffixes that are parents of the name asked about (shared by
  // many names: "x.com" for "www.x.com", "com") and for names that are
  // registered domains themselves. The answer for any other name is not kept:
  // callers ask about each distinct name once (IssuerTallyBuilder de-duplicates
  // before asking), and a table of every name would cost more in cache misses
  // than libpsl costs.
  std::optional<base::Hash128> RegisteredDomainHash(std::string_view fqdn);

  // Calls into libpsl so far.
  size_t psl_calls() const { return psl_calls_; }

  // What the cache holds, and forgetting it (answers stay the same, only
  // slower): a map in a memory budget counts the first and calls the second.
  uint64_t memory_bytes() const {
    return public_suffixes_.capacity() * (sizeof(std::pair<base::Hash128, bool>) + 1);
  }
  void Clear() { public_suffixes_ = {}; }

 private:
  bool IsPublicSuffix(std::string_view suffix, bool remember);

  const PublicSuffixList* list_;
  absl::flat_hash_map<base::Hash128, bool> public_suffixes_;  // by suffix
  size_t psl_calls_ = 0;
};

}  // namespace ctmr::names

#endif  // CT_COMMON_NAMES_REGISTERED_DOMAIN_H_
