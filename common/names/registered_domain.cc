#include "common/names/registered_domain.h"

#include <libpsl.h>

#include "absl/status/status.h"
#include "common/names/fqdn.h"

namespace ctmr::names {

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

bool RegisteredDomainCache::IsPublicSuffix(std::string_view suffix, bool remember) {
  const base::Hash128 key = base::HashBytes(suffix);
  if (auto it = public_suffixes_.find(key); it != public_suffixes_.end()) return it->second;
  ++psl_calls_;
  // `suffix` ends where its FQDN's string does, so data() is NUL-terminated.
  const bool is_public = list_->IsPublicSuffix(suffix.data());
  if (remember) public_suffixes_.emplace(key, is_public);
  return is_public;
}

std::optional<base::Hash128> RegisteredDomainCache::RegisteredDomainHash(std::string_view fqdn) {
  // psl_registrable_domain()'s walk: drop labels from the left until the rest
  // is a public suffix; the registrable domain is the suffix one label longer.
  std::string_view domain = fqdn.substr(IsWildcard(fqdn) ? 2 : 0);
  if (domain.empty() || domain[0] == '.') return std::nullopt;
  const std::string_view name = domain;
  std::string_view registrable;
  bool found = false;
  while (!IsPublicSuffix(domain, /*remember=*/domain.size() < name.size())) {
    const size_t dot = domain.find('.');
    if (dot == std::string_view::npos) break;
    registrable = domain;
    found = true;
    domain.remove_prefix(dot + 1);
  }
  if (!found) return std::nullopt;
  // A registered domain is the parent of the names under it ("x.com" of
  // "www.x.com"): keep its answer for them.
  if (registrable.size() == name.size()) public_suffixes_.emplace(base::HashBytes(name), false);
  return base::HashBytes(registrable);
}

}  // namespace ctmr::names
