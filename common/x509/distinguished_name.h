// Distinguished names: the issuer Name of a certificate, decoded from DER into
// its attributes, and printed the way our reports show it.
#ifndef CT_COMMON_X509_DISTINGUISHED_NAME_H_
#define CT_COMMON_X509_DISTINGUISHED_NAME_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ctmr::x509 {

// One AttributeTypeAndValue of a Name.
struct NameAttribute {
  std::string oid;    // dotted decimal, e.g. "2.5.4.3"
  std::string value;  // converted to UTF-8 from whatever string type DER used
  // True when this attribute shares its RDN (one SET) with the attribute before
  // it, i.e. it is the second or later value of a multi-valued RDN such as
  // "CN=a+UID=b". Not part of equality: it is layout, not content.
  bool joins_previous = false;
  bool operator==(const NameAttribute& o) const { return oid == o.oid && value == o.value; }
};

// Decodes a DER Name (SEQUENCE OF SET OF AttributeTypeAndValue) into its
// attributes in encoding order. String types understood: UTF8String,
// PrintableString, IA5String, TeletexString (as Latin-1), BMPString,
// UniversalString, VisibleString, NumericString. Anything else, or malformed
// DER, returns InvalidArgument.
absl::StatusOr<std::vector<NameAttribute>> ParseDistinguishedName(std::string_view der);

// Prints attributes most specific first, as RFC 4514 does:
// "CN=R11,O=Let's Encrypt,C=US". RDNs print in reverse encoding order; the
// values of one multi-valued RDN keep their order, joined by '+'. Known OIDs
// use their short names (CN, O, OU, C, L, ST, STREET, DC, UID, serialNumber,
// emailAddress, ...); others print as the dotted OID. Values are escaped per
// RFC 4514 section 2.4.
std::string FormatDistinguishedName(const std::vector<NameAttribute>& attributes);

// The value of the first O (2.5.4.10) attribute, or "" when there is none.
std::string OrganizationOf(const std::vector<NameAttribute>& attributes);

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_DISTINGUISHED_NAME_H_
