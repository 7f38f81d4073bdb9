// One strict walk of the certificate, then a splice: the output is the TBS
// with a few pieces left out or replaced and the lengths around them written
// anew.
//
// Every field is validated with der_certificate_parser's rules even where
// this code only copies it, because the contract is that OpenSSL reads the
// same certificate: an OK must imply d2i_X509 accepts the input and that
// i2d_re_X509_tbs re-encodes each untouched field to its original bytes.
// Names are safe as OpenSSL keeps their encoding; the other fields are safe
// because DER has one encoding and the walkers refuse anything else.
#include "common/x509/precert_tbs.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/x509/der_reader.h"
#include "common/x509/openssl_precert_tbs.h"

namespace ctmr::x509 {
namespace {

using der::Error;
using der::Reader;

constexpr std::string_view kOidCtPoison("\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x03", 10);
constexpr std::string_view kOidAuthorityKeyId("\x55\x1d\x23", 3);
constexpr std::string_view kOidExtendedKeyUsage("\x55\x1d\x25", 3);
constexpr std::string_view kNull("\x05\x00", 2);
constexpr uint8_t kTagExtensions = 0xa3;  // [3] EXPLICIT

// A certificate's TBSCertificate, cut where these functions edit it. All
// views point into the input; `before_issuer`, `issuer`, `after_issuer` and
// the [3] field are contiguous, in that order.
struct TbsParts {
  std::string_view before_issuer;  // version, serialNumber, signature
  std::string_view issuer;         // the Name TLV
  std::string_view after_issuer;   // validity .. subjectUniqueID
  std::string_view spki;           // SubjectPublicKeyInfo TLV, inside after_issuer
  std::string_view extensions;     // content of the SEQUENCE OF Extension; empty if none
};

struct Extension {
  std::string_view whole;  // the Extension TLV
  std::string_view oid;
  bool critical = false;
  std::string_view value;  // extnValue's content octets
};

// The TBSCertificate TLV's content, in der_certificate_parser's ParseTbs order
// and with its rules; the extensions are only located (FindExtension walks
// them).
Error WalkTbs(std::string_view tbs, TbsParts* out) {
  Reader r(tbs);
  std::string_view v, issuer_content, validity, subject, spki_content;
  int64_t time;
  if (!r.Expect(0xa0, &v) || !der::SameBytes(v, std::string_view("\x02\x01\x02", 3))) {
    return "not an X.509 v3 certificate";
  }
  if (!r.Expect(der::kTagInteger, &v) || !der::ValidInteger(v)) return "bad serial";
  if (Error e = der::CheckAlgorithm(&r)) return e;
  out->before_issuer = tbs.substr(0, static_cast<size_t>(r.Remaining().data() - tbs.data()));
  if (!r.Expect(der::kTagSequence, &issuer_content, &out->issuer)) return "bad issuer";
  if (Error e = der::WalkName(issuer_content, nullptr)) return e;
  const char* after_issuer = r.Remaining().data();
  if (!r.Expect(der::kTagSequence, &validity)) return "bad validity";
  Reader vr(validity);
  if (Error e = der::ParseTime(&vr, &time)) return e;
  if (Error e = der::ParseTime(&vr, &time)) return e;
  if (!vr.empty()) return "bad validity";
  if (!r.Expect(der::kTagSequence, &subject)) return "bad subject";
  if (Error e = der::WalkName(subject, nullptr)) return e;
  if (!r.Expect(der::kTagSequence, &spki_content, &out->spki)) return "bad SubjectPublicKeyInfo";
  Reader kr(spki_content);
  if (Error e = der::CheckAlgorithm(&kr)) return e;
  if (!kr.Expect(der::kTagBitString, &v) || !der::ValidBitString(v) || !kr.empty()) {
    return "bad public key";
  }
  if (r.PeekTag() == 0x81 && (!r.Expect(0x81, &v) || !der::ValidBitString(v))) {
    return "bad issuerUniqueID";
  }
  if (r.PeekTag() == 0x82 && (!r.Expect(0x82, &v) || !der::ValidBitString(v))) {
    return "bad subjectUniqueID";
  }
  out->after_issuer =
      std::string_view(after_issuer, static_cast<size_t>(r.Remaining().data() - after_issuer));
  out->extensions = {};
  if (r.PeekTag() == kTagExtensions) {
    if (!r.Expect(kTagExtensions, &v)) return "bad extensions";
    Reader list(v);
    if (!list.Expect(der::kTagSequence, &out->extensions) || !list.empty()) {
      return "bad extensions";
    }
    // OpenSSL would re-encode an empty list as no extensions field at all.
    if (out->extensions.empty()) return "empty extensions";
  }
  if (!r.empty()) return "unexpected data in TBSCertificate";
  return nullptr;
}

// The Certificate SEQUENCE spanning all of `der`, as ParseCertificate reads it.
Error WalkCertificate(std::string_view der, TbsParts* out) {
  Reader top(der);
  std::string_view cert, tbs, signature;
  if (!top.Expect(der::kTagSequence, &cert)) return "not a DER SEQUENCE";
  if (!top.empty()) return "trailing bytes after certificate";
  Reader r(cert);
  if (!r.Expect(der::kTagSequence, &tbs)) return "bad TBSCertificate";
  if (Error e = WalkTbs(tbs, out)) return e;
  if (Error e = der::CheckAlgorithm(&r)) return e;
  if (!r.Expect(der::kTagBitString, &signature) || !der::ValidBitString(signature)) {
    return "bad signature";
  }
  if (!r.empty()) return "unexpected data in Certificate";
  return nullptr;
}

// Validates every Extension of `list` (as der_certificate_parser does: DER
// critical flag, nothing after extnValue) and reports the first whose OID is
// `oid` in *found and how many there are in *count.
Error FindExtension(std::string_view list, std::string_view oid, Extension* found, int* count) {
  *count = 0;
  Reader r(list);
  while (!r.empty()) {
    Extension ext;
    std::string_view content, flag;
    if (!r.Expect(der::kTagSequence, &content, &ext.whole)) return "bad extension";
    Reader e(content);
    if (!e.Expect(der::kTagOid, &ext.oid) || !der::ValidOid(ext.oid)) return "bad extension OID";
    if (e.PeekTag() == der::kTagBoolean) {
      // DER: critical is present only when TRUE, encoded as 0xff.
      if (!e.Expect(der::kTagBoolean, &flag) || flag.size() != 1 || flag[0] != '\xff') {
        return "bad critical flag";
      }
      ext.critical = true;
    }
    if (!e.Expect(der::kTagOctetString, &ext.value) || !e.empty()) return "bad extension value";
    if (der::SameBytes(ext.oid, oid) && (*count)++ == 0) *found = ext;
  }
  return nullptr;
}

// The part of `outer` before `inner` and the part after it; `inner` lies in `outer`.
std::string_view Before(std::string_view outer, std::string_view inner) {
  return outer.substr(0, static_cast<size_t>(inner.data() - outer.data()));
}
std::string_view After(std::string_view outer, std::string_view inner) {
  return outer.substr(static_cast<size_t>(inner.data() - outer.data()) + inner.size());
}

size_t HeaderSize(size_t length) {
  size_t n = 2;
  if (length >= 0x80) {
    for (size_t l = length; l > 0; l >>= 8) ++n;
  }
  return n;
}

// A DER header: the short form below 128, else the fewest length octets.
void AppendHeader(uint8_t tag, size_t length, std::string* out) {
  out->push_back(static_cast<char>(tag));
  if (length < 0x80) {
    out->push_back(static_cast<char>(length));
    return;
  }
  const size_t octets = HeaderSize(length) - 2;
  out->push_back(static_cast<char>(0x80 | octets));
  for (size_t i = octets; i > 0; --i) out->push_back(static_cast<char>(length >> (8 * (i - 1))));
}

size_t TotalSize(std::initializer_list<std::string_view> pieces) {
  size_t n = 0;
  for (std::string_view p : pieces) n += p.size();
  return n;
}

// Replaces *out with SEQUENCE { head..., [3] { SEQUENCE { extensions... } } },
// leaving the extensions field out when no extension is left, as OpenSSL's
// encoder does with an empty optional SEQUENCE OF.
void EmitTbs(std::initializer_list<std::string_view> head,
             std::initializer_list<std::string_view> extensions, std::string* out) {
  const size_t list = TotalSize(extensions);
  const size_t sequence = list == 0 ? 0 : HeaderSize(list) + list;
  const size_t wrapper = list == 0 ? 0 : HeaderSize(sequence) + sequence;
  const size_t content = TotalSize(head) + wrapper;
  out->clear();
  out->reserve(HeaderSize(content) + content);
  AppendHeader(der::kTagSequence, content, out);
  for (std::string_view p : head) out->append(p);
  if (list == 0) return;
  AppendHeader(kTagExtensions, sequence, out);
  AppendHeader(der::kTagSequence, list, out);
  for (std::string_view p : extensions) out->append(p);
}

// The Extension TLV { oid, [critical TRUE], OCTET STRING value }.
std::string EncodeExtension(std::string_view oid, bool critical, std::string_view value) {
  std::string content;
  AppendHeader(der::kTagOid, oid.size(), &content);
  content.append(oid);
  if (critical) content.append("\x01\x01\xff", 3);
  AppendHeader(der::kTagOctetString, value.size(), &content);
  content.append(value);
  std::string out;
  AppendHeader(der::kTagSequence, content.size(), &out);
  return out + content;
}

// RFC 6962 §3.1 for a precertificate issued by a Precertificate Signing
// Certificate: `tbs` (poison already removed) with the signer's issuer and
// authorityKeyIdentifier, the way certificate-transparency-go's
// BuildPrecertTBS (which CT logs run) does it. Rare: allocates freely.
absl::Status RewriteForPrecertSigner(std::string_view tbs, std::string_view signer_der,
                                     std::string* out) {
  Reader top(tbs);
  std::string_view tbs_content;
  TbsParts t, s;
  Extension aki, signer_aki;
  int count = 0, signer_count = 0;
  Error e = nullptr;
  if (!top.Expect(der::kTagSequence, &tbs_content) || !top.empty()) e = "bad TBSCertificate";
  if (e == nullptr) e = WalkTbs(tbs_content, &t);
  if (e == nullptr) e = FindExtension(t.extensions, kOidAuthorityKeyId, &aki, &count);
  if (e == nullptr && count > 1) e = "more than one authorityKeyIdentifier";
  if (e != nullptr) return absl::InvalidArgumentError(absl::StrCat("precertificate: ", e));
  e = WalkCertificate(signer_der, &s);
  if (e == nullptr) e = FindExtension(s.extensions, kOidAuthorityKeyId, &signer_aki, &signer_count);
  if (e == nullptr && signer_count > 1) e = "more than one authorityKeyIdentifier";
  if (e != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("precertificate signing certificate: ", e));
  }
  std::string replaced;
  if (count == 1) {
    // The value changes, the precertificate's criticality stays.
    if (signer_count == 1)
      replaced = EncodeExtension(kOidAuthorityKeyId, aki.critical, signer_aki.value);
    EmitTbs({t.before_issuer, s.issuer, t.after_issuer},
            {Before(t.extensions, aki.whole), replaced, After(t.extensions, aki.whole)}, out);
  } else {
    if (signer_count == 1) replaced = EncodeExtension(kOidAuthorityKeyId, false, signer_aki.value);
    EmitTbs({t.before_issuer, s.issuer, t.after_issuer}, {t.extensions, replaced}, out);
  }
  return absl::OkStatus();
}

// WalkCertificate, then FindExtension of `oid` (empty: none, the list is
// still checked) in its extensions: the first step of each function below.
absl::Status WalkAndFind(std::string_view cert_der, std::string_view oid, TbsParts* t,
                         Extension* found, int* count) {
  *count = 0;
  Error e = WalkCertificate(cert_der, t);
  if (e == nullptr) e = FindExtension(t->extensions, oid, found, count);
  return e == nullptr ? absl::OkStatus() : absl::InvalidArgumentError(e);
}

}  // namespace

absl::Status RemovePoisonToTbs(std::string_view precert_der, std::string* tbs_out) {
  TbsParts t;
  Extension poison;
  int count = 0;
  RETURN_IF_ERROR(WalkAndFind(precert_der, kOidCtPoison, &t, &poison, &count));
  if (count == 0) return absl::NotFoundError("no CT poison extension");
  // OpenSSL would remove only the first: refuse rather than pick one.
  if (count > 1) return absl::InvalidArgumentError("more than one CT poison extension");
  if (!poison.critical || poison.value != kNull) {
    return absl::InvalidArgumentError("CT poison extension is not critical with a NULL value");
  }
  EmitTbs({t.before_issuer, t.issuer, t.after_issuer},
          {Before(t.extensions, poison.whole), After(t.extensions, poison.whole)}, tbs_out);
  return absl::OkStatus();
}

absl::Status CheckPrecertificateTbs(std::string_view precert_der, std::string_view logged_tbs,
                                    std::string_view issuer_der, std::string* scratch) {
  absl::Status s = RemovePoisonToTbs(precert_der, scratch);
  if (absl::IsInvalidArgument(s)) s = RemovePoisonToTbsWithOpenSsl(precert_der, scratch);
  if (!s.ok()) return s;
  if (*scratch == logged_tbs) return absl::OkStatus();
  constexpr absl::string_view kMismatch =
      "pre_certificate less its poison does not match the logged TBSCertificate";
  if (issuer_der.empty()) return absl::DataLossError(kMismatch);
  absl::StatusOr<bool> signer = HasExtendedKeyUsage(issuer_der, kOidPrecertificateSigning);
  if (!signer.ok() || !*signer) return absl::DataLossError(kMismatch);
  std::string rewritten;
  s = RewriteForPrecertSigner(*scratch, issuer_der, &rewritten);
  if (!s.ok()) {
    return absl::DataLossError(
        absl::StrCat(kMismatch, ", and its RFC 6962 rewrite fails: ", s.message()));
  }
  if (rewritten == logged_tbs) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat(kMismatch,
                   ", nor with the issuer and authorityKeyIdentifier of its Precertificate "
                   "Signing Certificate"));
}

absl::StatusOr<std::string_view> SubjectPublicKeyInfoDer(std::string_view cert_der) {
  TbsParts t;
  Extension unused;
  int count = 0;
  RETURN_IF_ERROR(WalkAndFind(cert_der, {}, &t, &unused, &count));
  return t.spki;
}

absl::StatusOr<bool> HasExtendedKeyUsage(std::string_view cert_der, std::string_view oid) {
  TbsParts t;
  Extension eku;
  int count = 0;
  RETURN_IF_ERROR(WalkAndFind(cert_der, kOidExtendedKeyUsage, &t, &eku, &count));
  if (count == 0) return false;
  // OpenSSL's X509_get_ext_d2i refuses a duplicated extension.
  if (count > 1) return absl::InvalidArgumentError("more than one extendedKeyUsage");
  // ExtKeyUsageSyntax ::= SEQUENCE OF KeyPurposeId (an OID), filling extnValue.
  Reader outer(eku.value);
  std::string_view list, purpose;
  if (!outer.Expect(der::kTagSequence, &list) || !outer.empty()) {
    return absl::InvalidArgumentError("bad extendedKeyUsage");
  }
  bool listed = false;
  Reader r(list);
  while (!r.empty()) {
    if (!r.Expect(der::kTagOid, &purpose) || !der::ValidOid(purpose)) {
      return absl::InvalidArgumentError("bad KeyPurposeId");
    }
    listed |= der::SameBytes(purpose, oid);
  }
  return listed;
}

}  // namespace ctmr::x509
