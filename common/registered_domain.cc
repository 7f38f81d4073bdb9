#include "common/registered_domain.h"

#include <libpsl.h>

#include "absl/status/status.h"
#include "common/fqdn.h"

namespace ctmr {

absl::StatusOr<std::unique_ptr<PublicSuffixList>> PublicSuffixList::LoadLatest() {
  psl_ctx_t* ctx = psl_latest(nullptr);
  if (ctx == nullptr) {
    return absl::FailedPreconditionError(
        "libpsl could not load a public suffix list (is Debian's publicsuffix installed?)");
  }
  return std::unique_ptr<PublicSuffixList>(new PublicSuffixList(ctx));
}

PublicSuffixList::~PublicSuffixList() { psl_free(ctx_); }

std::optional<std::string> PublicSuffixList::RegisteredDomain(const std::string& fqdn) const {
  const char* name = fqdn.c_str() + (IsWildcard(fqdn) ? 2 : 0);
  const char* domain = psl_registrable_domain(ctx_, name);
  if (domain == nullptr) return std::nullopt;
  return std::string(domain);
}

std::optional<Hash128> RegisteredDomainCache::Lookup(const Hash128& fqdn_hash,
                                                     const std::string& fqdn) {
  auto [it, inserted] = cache_.try_emplace(fqdn_hash, Entry{false, {}});
  if (inserted) {
    ++psl_calls_;
    if (std::optional<std::string> domain = list_->RegisteredDomain(fqdn)) {
      it->second = Entry{true, HashBytes(*domain)};
    }
  }
  if (!it->second.has_domain) return std::nullopt;
  return it->second.domain;
}

}  // namespace ctmr
