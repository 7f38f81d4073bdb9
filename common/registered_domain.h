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
#ifndef CT_COMMON_REGISTERED_DOMAIN_H_
#define CT_COMMON_REGISTERED_DOMAIN_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/hash128.h"

struct psl_ctx_st;

namespace ctmr {

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

  // The hash of the registered domain of `fqdn`, whose own hash is
  // `fqdn_hash`, or nullopt if it has none. Equal to hashing
  // PublicSuffixList::RegisteredDomain(fqdn): it runs the same left-to-right
  // walk as psl_registrable_domain(), with each psl_is_public_suffix() answer
  // cached, because the names of a day share their parents ("www.x.com" and
  // "x.com" both ask about "x.com" and "com").
  std::optional<Hash128> Lookup(const Hash128& fqdn_hash, const std::string& fqdn);

  // Calls into libpsl so far.
  size_t psl_calls() const { return psl_calls_; }

 private:
  struct Entry {
    bool has_domain;
    Hash128 domain;
  };
  const PublicSuffixList* list_;
  bool IsPublicSuffix(std::string_view suffix);

  absl::flat_hash_map<Hash128, Entry> cache_;           // by FQDN
  absl::flat_hash_map<Hash128, bool> public_suffixes_;  // by suffix
  size_t psl_calls_ = 0;
};

}  // namespace ctmr

#endif  // CT_COMMON_REGISTERED_DOMAIN_H_
