// The FQDN rule of DESIGN.md §3: which SAN dNSNames and subject CNs count as
// names, and in what normal form.
#ifndef CT_COMMON_NAMES_FQDN_H_
#define CT_COMMON_NAMES_FQDN_H_

#include <string>
#include <string_view>

namespace ctmr::names {

inline constexpr size_t kMaxFqdnLength = 253;

// Lowercases `raw` (ASCII only), removes one trailing dot, and stores the result
// in `out` if it is a valid name: at least two labels of 1-63 characters of
// [a-z0-9_-], at most 253 characters, optionally preceded by the wildcard label
// "*.", and not an IPv4 literal. Returns false (out unspecified) otherwise.
// `out` is reused across calls, so steady state allocates nothing.
bool NormalizeFqdn(std::string_view raw, std::string* out);

inline bool IsWildcard(std::string_view fqdn) {
  return fqdn.size() >= 2 && fqdn[0] == '*' && fqdn[1] == '.';
}

}  // namespace ctmr::names

#endif  // CT_COMMON_NAMES_FQDN_H_
