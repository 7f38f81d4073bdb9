// Issuers: the eight certification authorities a ct-gen corpus is issued by.
//
// Each issuer gets a real EC P-256 key derived from the seed (so the same seed
// gives the same keys, issuer ids and bytes), a self-signed CA certificate
// carrying that key, and one ECDSA signature made once with it that every leaf
// certificate of the issuer carries (leaf signatures are not meant to verify).
#ifndef CT_TOOLS_CT_GEN_ISSUERS_H_
#define CT_TOOLS_CT_GEN_ISSUERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ctgen {

struct Issuer {
  std::string short_name;       // "R11": for logs and tests
  std::string name_der;         // the issuer Name as a complete DER TLV
  std::string rfc4514;          // "CN=R11,O=Let's Encrypt,C=US", most specific first
  std::string organization;     // the O attribute, or rfc4514 when there is none
  std::string spki_der;         // SubjectPublicKeyInfo of the issuer key
  std::string issuer_id;        // base64url(SHA-256(spki_der)), no padding
  std::string key_id;           // SHA-1 of the public key bits (SKI of the issuer, AKI of leaves)
  std::string certificate_der;  // self-signed CA certificate with spki_der
  std::string leaf_signature;   // DER ECDSA-Sig-Value every leaf of this issuer carries
  int weight = 1;               // share of the corpus, relative to the other issuers
  int validity_days = 90;       // notAfter - notBefore of its leaves
  bool ec_leaves = false;       // leaves carry the EC leaf key instead of the RSA one
  std::string crl_url;          // for the leaves' CRL distribution point
  std::string ca_issuers_url;   // for the leaves' authority information access
  std::string ocsp_url;         // likewise: the CRL host, path /ocsp
};

// Builds the issuers for `seed`, in a fixed order: R10, R11, E5, E6, WE1,
// DigiCert, Sectigo, and one whose DN has no O attribute.
absl::StatusOr<std::vector<Issuer>> MakeIssuers(uint64_t seed);

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_ISSUERS_H_
