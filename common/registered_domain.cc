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

bool PublicSuffixList::IsPublicSuffix(const char* name) const {
  return psl_is_public_suffix(ctx_, name) != 0;
}

bool RegisteredDomainCache::IsPublicSuffix(std::string_view suffix) {
  auto [it, inserted] = public_suffixes_.try_emplace(HashBytes(suffix), false);
  if (inserted) {
    ++psl_calls_;
    // `suffix` ends where its FQDN's string does, so data() is NUL-terminated.
    it->second = list_->IsPublicSuffix(suffix.data());
  }
  return it->second;
}

std::optional<Hash128> RegisteredDomainCache::Lookup(const Hash128& fqdn_hash,
                                                     const std::string& fqdn) {
  auto [it, inserted] = cache_.try_emplace(fqdn_hash, Entry{false, {}});
  if (inserted) {
    // psl_registrable_domain()'s walk: drop labels from the left until the
    // rest is a public suffix; the registrable domain is the suffix one label
    // longer, if any.
    std::string_view domain = std::string_view(fqdn).substr(IsWildcard(fqdn) ? 2 : 0);
    std::string_view registrable;
    bool found = false;
    while (!domain.empty() && domain[0] != '.' && !IsPublicSuffix(domain)) {
      const size_t dot = domain.find('.');
      if (dot == std::string_view::npos) break;
      registrable = domain;
      found = true;
      domain.remove_prefix(dot + 1);
    }
    if (found) it->second = Entry{true, HashBytes(registrable)};
  }
  if (!it->second.has_domain) return std::nullopt;
  return it->second.domain;
}

}  // namespace ctmr
