// CertificateTemplate: builds the DER of one leaf (pre)certificate of one
// issuer, fast and without signing.
//
// Everything that does not change between the leaves of an issuer (its Name,
// the extensions that only name the CA, the signature) is encoded once in the
// constructor, and so is every variant of the subject key (with the
// extensions that depend on it) and of the certificatePolicies: Build() picks
// them and adds the serial, validity, subject, SAN and the CT extension. The result is a
// well-formed X.509 v3 certificate that OpenSSL's d2i_X509 accepts; its signature is the issuer's
// one fixed signature and does not verify.
#ifndef CT_TOOLS_CT_GEN_CERTIFICATE_TEMPLATE_H_
#define CT_TOOLS_CT_GEN_CERTIFICATE_TEMPLATE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/ct_gen/issuers.h"
#include "tools/ct_gen/leaf_classes.h"

namespace ctgen {

// One attribute of a subject Name, encoded as given (each in its own RDN).
struct SubjectAttribute {
  std::string oid;         // e.g. "2.5.4.3"
  uint8_t string_tag = 0;  // e.g. der::kUtf8String; for kBmpString `value` is UTF-16BE already
  std::string value;
};

struct LeafSpec {
  std::string serial;  // INTEGER content octets, already minimal two's complement
  int64_t not_before = 0;
  int64_t not_after = 0;
  std::vector<SubjectAttribute> subject;  // empty: an empty Name
  bool has_san = true;                    // false: no subjectAltName extension at all
  std::vector<std::string> san_dns;       // dNSName values, raw bytes
  std::vector<std::string> san_ip;        // iPAddress values, 4 raw bytes each
  bool precertificate = false;            // CT poison instead of the SCT list
  LeafKey key = LeafKey::kIssuerDefault;
  LeafPolicies policies = LeafPolicies::kDv;
};

class CertificateTemplate {
 public:
  explicit CertificateTemplate(const Issuer& issuer);

  // Replaces *der with the certificate for `spec`.
  void Build(const LeafSpec& spec, std::string* der) const;

  // Only the TBSCertificate (what the original fetcher stored for
  // precertificates): used for a malformed block.
  std::string BuildTbs(const LeafSpec& spec) const;

 private:
  bool ec_leaves_;
  std::string head_;          // version [0] and nothing else; the serial follows
  std::string after_serial_;  // signature algorithm and issuer Name
  // By LeafKey: the SubjectPublicKeyInfo, and keyUsage, extKeyUsage,
  // basicConstraints, SKI, AKI, AIA (keyUsage and SKI depend on the key).
  std::array<std::string, kLeafKeys> spki_;
  std::array<std::string, kLeafKeys> ext_before_san_;
  // By LeafPolicies: certificatePolicies (if any) and CRL distribution points.
  std::array<std::string, kLeafPolicies> ext_after_san_;
  std::string sct_logs_;  // log ids and the fixed part of the SCTs
  std::string tail_;      // signatureAlgorithm and signature BIT STRING
};

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_CERTIFICATE_TEMPLATE_H_
