// Distinguished names without OpenSSL: a small DER reader for Name, and the
// RFC 4514 string form our reports print.
#include "common/x509/distinguished_name.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/x509/utf8.h"

namespace ctmr::x509 {
namespace {

// Reads one DER TLV (one-byte tag, definite minimal length) from the front of
// `*in`. On success advances `*in` past it.
bool NextTlv(std::string_view* in, uint8_t* tag, std::string_view* content) {
  const auto* p = reinterpret_cast<const uint8_t*>(in->data());
  const size_t left = in->size();
  if (left < 2 || p[0] == 0 || (p[0] & 0x1f) == 0x1f) return false;
  size_t len = p[1];
  size_t header = 2;
  if (len >= 0x80) {
    const size_t n = len & 0x7f;
    if (n == 0 || n > 4 || left < 2 + n || p[2] == 0) return false;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | p[2 + i];
    if (len < 0x80) return false;
    header += n;
  }
  if (len > left - header) return false;
  *tag = p[0];
  *content = in->substr(header, len);
  in->remove_prefix(header + len);
  return true;
}

bool ExpectTlv(std::string_view* in, uint8_t want, std::string_view* content) {
  uint8_t tag;
  return !in->empty() && static_cast<uint8_t>((*in)[0]) == want && NextTlv(in, &tag, content);
}

// Dotted decimal form of OID content octets; false on a malformed encoding
// or an arc wider than 64 bits.
bool OidToText(std::string_view oid, std::string* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(oid.data());
  const size_t n = oid.size();
  if (n == 0 || (p[n - 1] & 0x80)) return false;
  out->clear();
  uint64_t arc = 0;
  bool first = true;
  for (size_t i = 0; i < n; ++i) {
    if (arc == 0 && p[i] == 0x80) return false;  // padded subidentifier
    if (arc > (UINT64_MAX >> 7)) return false;
    arc = (arc << 7) | (p[i] & 0x7f);
    if (p[i] & 0x80) continue;
    if (first) {
      const uint64_t top = arc < 40 ? 0 : (arc < 80 ? 1 : 2);
      absl::StrAppend(out, top, ".", arc - top * 40);
      first = false;
    } else {
      absl::StrAppend(out, ".", arc);
    }
    arc = 0;
  }
  return true;
}

// Converts a string value to UTF-8 the way ASN1_STRING_to_UTF8 does: one-byte
// types as Latin-1, BMPString as UCS-2, UniversalString as UCS-4.
bool StringToUtf8(uint8_t tag, std::string_view v, std::string* out) {
  size_t width;
  switch (tag) {
    case 0x0c:  // UTF8String
      if (!ValidUtf8(v)) return false;
      out->assign(v.data(), v.size());
      return true;
    case 0x12:  // NumericString
    case 0x13:  // PrintableString
    case 0x14:  // TeletexString
    case 0x16:  // IA5String
    case 0x1a:  // VisibleString
      width = 1;
      break;
    case 0x1e:  // BMPString
      width = 2;
      break;
    case 0x1c:  // UniversalString
      width = 4;
      break;
    default:
      return false;
  }
  if (v.size() % width != 0) return false;
  out->clear();
  out->reserve(v.size());
  const auto* p = reinterpret_cast<const uint8_t*>(v.data());
  for (size_t i = 0; i < v.size(); i += width) {
    uint32_t cp = 0;
    for (size_t k = 0; k < width; ++k) cp = (cp << 8) | p[i + k];
    if (!ValidScalar(cp)) return false;
    AppendUtf8(cp, out);
  }
  return true;
}

std::string_view ShortName(const std::string& oid) {
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"2.5.4.3", "CN"},
      {"2.5.4.4", "SN"},
      {"2.5.4.5", "serialNumber"},
      {"2.5.4.6", "C"},
      {"2.5.4.7", "L"},
      {"2.5.4.8", "ST"},
      {"2.5.4.9", "STREET"},
      {"2.5.4.10", "O"},
      {"2.5.4.11", "OU"},
      {"2.5.4.12", "title"},
      {"2.5.4.15", "businessCategory"},
      {"2.5.4.17", "postalCode"},
      {"2.5.4.42", "GN"},
      {"2.5.4.97", "organizationIdentifier"},
      {"0.9.2342.19200300.100.1.1", "UID"},
      {"0.9.2342.19200300.100.1.25", "DC"},
      {"1.2.840.113549.1.9.1", "emailAddress"},
      {"1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"},
      {"1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"},
      {"1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"},
  };
  for (const auto& [dotted, name] : kNames) {
    if (oid == dotted) return name;
  }
  return oid;
}

// RFC 4514 section 2.4: escape the specials anywhere, a leading space or '#',
// a trailing space, and NUL (as \00).
void AppendEscaped(std::string_view v, std::string* out) {
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '\0') {
      out->append("\\00");
      continue;
    }
    const bool special = c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' ||
                         c == '\\' || (i == 0 && (c == ' ' || c == '#')) ||
                         (i + 1 == v.size() && c == ' ');
    if (special) out->push_back('\\');
    out->push_back(c);
  }
}

}  // namespace

absl::StatusOr<std::vector<NameAttribute>> ParseDistinguishedName(std::string_view der) {
  std::string_view rest = der, rdns;
  if (!ExpectTlv(&rest, 0x30, &rdns) || !rest.empty()) {
    return absl::InvalidArgumentError("Name is not one DER SEQUENCE");
  }
  std::vector<NameAttribute> attributes;
  while (!rdns.empty()) {
    std::string_view set;
    if (!ExpectTlv(&rdns, 0x31, &set) || set.empty()) {
      return absl::InvalidArgumentError("bad RelativeDistinguishedName");
    }
    bool first_in_set = true;
    while (!set.empty()) {
      std::string_view ava, oid, value;
      uint8_t tag;
      if (!ExpectTlv(&set, 0x30, &ava) || !ExpectTlv(&ava, 0x06, &oid) ||
          !NextTlv(&ava, &tag, &value) || !ava.empty()) {
        return absl::InvalidArgumentError("bad AttributeTypeAndValue");
      }
      NameAttribute& a = attributes.emplace_back();
      if (!OidToText(oid, &a.oid)) return absl::InvalidArgumentError("bad attribute OID");
      if (!StringToUtf8(tag, value, &a.value)) {
        return absl::InvalidArgumentError(absl::StrCat("unsupported value for attribute ", a.oid));
      }
      a.joins_previous = !first_in_set;
      first_in_set = false;
    }
  }
  return attributes;
}

std::string FormatDistinguishedName(const std::vector<NameAttribute>& attributes) {
  std::string out;
  // Walk RDNs from the last to the first; print each RDN's values in order.
  size_t end = attributes.size();
  while (end > 0) {
    size_t begin = end - 1;
    while (begin > 0 && attributes[begin].joins_previous) --begin;
    if (!out.empty()) out.push_back(',');
    for (size_t i = begin; i < end; ++i) {
      if (i != begin) out.push_back('+');
      out.append(ShortName(attributes[i].oid));
      out.push_back('=');
      AppendEscaped(attributes[i].value, &out);
    }
    end = begin;
  }
  return out;
}

std::string OrganizationOf(const std::vector<NameAttribute>& attributes) {
  for (const NameAttribute& a : attributes) {
    if (a.oid == "2.5.4.10") return a.value;
  }
  return "";
}

}  // namespace ctmr::x509
