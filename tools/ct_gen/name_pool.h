// NamePool: the FQDNs of a corpus, built from parts so that each name's
// normalized form, registered domain and wildcard flag are known without a
// public suffix list.
//
// The pool is a set of "sites". Each site is the name set one certificate
// covers and is issued again and again (renewals, other CAs, other dates), so
// names repeat across certificates, issuers and directories. Sites share
// registered domains: a primary site holds `label.suffix`, `www.` and maybe
// `*.` and `mail.` of it; a secondary site holds one or two names under another
// site's registered domain (`api.label.suffix`, `*.api.label.suffix`).
//
// Registered-domain labels are built from two-letter syllables and always end
// in two digits (e.g. "kotavi47"), so they never equal a hand-written edge-case
// name. Suffixes are ones whose status in the public suffix list is certain:
// ICANN com, org, net, de, co.uk, com.au, xn--p1ai and private github.io,
// blogspot.com; `label.suffix` is registrable under every one of them.
//
// Ids: an FQDN id is site * kSlotsPerSite + slot, a registered-domain id is the
// index of the primary site; both are dense enough for bitsets.
#ifndef CT_TOOLS_CT_GEN_NAME_POOL_H_
#define CT_TOOLS_CT_GEN_NAME_POOL_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ctgen {

struct PoolName {
  std::string text;  // already normalized: lowercase, no trailing dot, valid
  uint64_t fqdn_id = 0;
  uint64_t regdomain_id = 0;
  bool wildcard = false;
};

class NamePool {
 public:
  static constexpr uint64_t kSlotsPerSite = 4;

  // A pool of `sites` sites (at least 1); `seed` shifts which labels are used.
  NamePool(uint64_t sites, uint64_t seed);

  uint64_t sites() const { return sites_; }
  uint64_t fqdn_id_limit() const { return sites_ * kSlotsPerSite; }
  uint64_t regdomain_id_limit() const { return regdomains_; }

  // Replaces *out with the names of `site`, the subject CN candidate first.
  void SiteNames(uint64_t site, std::vector<PoolName>* out) const;

  // The registered domain with this id, e.g. "kotavi47.co.uk".
  std::string RegisteredDomain(uint64_t regdomain_id) const;

 private:
  uint64_t sites_;
  uint64_t regdomains_;
  uint64_t label_offset_;
};

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_NAME_POOL_H_
