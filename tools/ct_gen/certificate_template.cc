#include "tools/ct_gen/certificate_template.h"

#include <openssl/sha.h>

#include "tools/ct_gen/der_writer.h"

namespace ctgen {
namespace {

std::string Sha(std::string_view data, bool sha256) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (sha256) {
    SHA256(in, data.size(), md);
    return std::string(reinterpret_cast<char*>(md), SHA256_DIGEST_LENGTH);
  }
  SHA1(in, data.size(), md);
  return std::string(reinterpret_cast<char*>(md), SHA_DIGEST_LENGTH);
}

std::string Extension(const char* oid, bool critical, std::string_view value) {
  if (critical) return der::Sequence({der::Oid(oid), der::Boolean(true), der::OctetString(value)});
  return der::Sequence({der::Oid(oid), der::OctetString(value)});
}

void Append16(std::string* out, size_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

}  // namespace

CertificateTemplate::CertificateTemplate(const Issuer& issuer) : ec_leaves_(issuer.ec_leaves) {
  const std::string sig_alg = der::Sequence({der::Oid("1.2.840.10045.4.3.2")});
  head_ = der::Tlv(der::ContextTag(0, true), der::SmallInteger(2));
  after_serial_ = sig_alg + issuer.name_der;
  const std::string eku =
      Extension("2.5.29.37", false,
                der::Sequence({der::Oid("1.3.6.1.5.5.7.3.1"), der::Oid("1.3.6.1.5.5.7.3.2")}));
  const std::string after_ski =
      Extension("2.5.29.35", false,
                der::Sequence({der::Tlv(der::ContextTag(0, false), issuer.key_id)})) +
      Extension("1.3.6.1.5.5.7.1.1", false,
                der::Sequence(
                    {der::Sequence({der::Oid("1.3.6.1.5.5.7.48.1"),
                                    der::Tlv(der::ContextTag(6, false), issuer.ocsp_url)}),
                     der::Sequence({der::Oid("1.3.6.1.5.5.7.48.2"),
                                    der::Tlv(der::ContextTag(6, false), issuer.ca_issuers_url)})}));
  for (int k = 1; k < kLeafKeys; ++k) {
    const auto key = static_cast<LeafKey>(k);
    spki_[k] = LeafSpki(key);
    // The leaf key's id: SHA-1 over the SPKI is close enough to RFC 5280's method.
    std::string ski = Sha(spki_[k], false);
    // digitalSignature, plus keyEncipherment for keys that can encrypt (rsaEncryption).
    const bool encrypts = key == LeafKey::kRsa2048 || key == LeafKey::kRsa1024 ||
                          key == LeafKey::kRsa3072 || key == LeafKey::kRsa4096;
    std::string ku = encrypts ? std::string("\x05\xa0", 2) : std::string("\x07\x80", 2);
    ext_before_san_[k] = Extension("2.5.29.15", true, der::Tlv(der::kBitString, ku)) + eku +
                         Extension("2.5.29.19", true, der::Sequence({})) +
                         Extension("2.5.29.14", false, der::OctetString(ski)) + after_ski;
  }
  const std::string crl_dp =
      Extension("2.5.29.31", false,
                der::Sequence({der::Sequence(
                    {der::Tlv(der::ContextTag(0, true),
                              der::Tlv(der::ContextTag(0, true),
                                       der::Tlv(der::ContextTag(6, false), issuer.crl_url)))})}));
  for (int p = 0; p < kLeafPolicies; ++p) {
    std::string infos;
    for (const char* oid : PolicyOids(static_cast<LeafPolicies>(p))) {
      infos += der::Sequence({der::Oid(oid)});
    }
    ext_after_san_[p] =
        (infos.empty() ? std::string()
                       : Extension("2.5.29.32", false, der::Tlv(der::kSequence, infos))) +
        crl_dp;
  }
  // Two SCTs from two logs; the timestamp is filled in per certificate.
  sct_logs_ = Sha("ct-gen log A", true) + Sha("ct-gen log B", true);
  tail_ = sig_alg + der::BitString(issuer.leaf_signature);
}

std::string CertificateTemplate::BuildTbs(const LeafSpec& spec) const {
  std::string subject;
  for (const SubjectAttribute& a : spec.subject) {
    subject += der::Set({der::Sequence({der::Oid(a.oid), der::Tlv(a.string_tag, a.value)})});
  }

  const auto key = static_cast<size_t>(ResolveKey(spec.key, ec_leaves_));
  std::string exts = ext_before_san_[key];
  if (spec.has_san) {
    std::string names;
    for (const std::string& n : spec.san_dns) {
      der::AppendTlv(&names, der::ContextTag(2, false), n);
    }
    for (const std::string& ip : spec.san_ip) {
      der::AppendTlv(&names, der::ContextTag(7, false), ip);
    }
    // RFC 5280: the SAN is critical when the subject is empty.
    exts += Extension("2.5.29.17", spec.subject.empty(), der::Tlv(der::kSequence, names));
  }
  exts += ext_after_san_[static_cast<size_t>(spec.policies)];
  if (spec.precertificate) {
    exts += Extension("1.3.6.1.4.1.11129.2.4.3", true, der::Null());
  } else {
    // SignedCertificateTimestampList (RFC 6962 3.3): two v1 SCTs, ~240 bytes.
    std::string list;
    uint64_t ts = static_cast<uint64_t>(spec.not_before) * 1000 + 3600 * 1000 + 517;
    for (int i = 0; i < 2; ++i) {
      std::string sct;
      sct.push_back('\0');  // v1
      sct.append(sct_logs_, 32 * static_cast<size_t>(i), 32);
      for (int b = 7; b >= 0; --b) sct.push_back(static_cast<char>((ts + i * 211) >> (8 * b)));
      Append16(&sct, 0);      // no extensions
      sct.push_back('\x04');  // sha256
      sct.push_back('\x03');  // ecdsa
      std::string sig = "\x30\x45\x02\x21";
      sig.push_back('\0');
      sig += sct_logs_.substr(0, 32);
      sig += "\x02\x20";
      sig += sct_logs_.substr(32, 32);
      Append16(&sct, sig.size());
      sct += sig;
      Append16(&list, sct.size());
      list += sct;
    }
    std::string tls;
    Append16(&tls, list.size());
    tls += list;
    exts += Extension("1.3.6.1.4.1.11129.2.4.2", false, der::OctetString(tls));
  }

  std::string tbs_content = head_;
  tbs_content += der::IntegerContent(spec.serial);
  tbs_content += after_serial_;
  tbs_content += der::Sequence({der::Time(spec.not_before), der::Time(spec.not_after)});
  der::AppendTlv(&tbs_content, der::kSequence, subject);
  tbs_content += spki_[key];
  der::AppendTlv(&tbs_content, der::ContextTag(3, true), der::Tlv(der::kSequence, exts));
  return der::Tlv(der::kSequence, tbs_content);
}

void CertificateTemplate::Build(const LeafSpec& spec, std::string* der) const {
  std::string content = BuildTbs(spec);
  content += tail_;
  der->clear();
  der::AppendTlv(der, der::kSequence, content);
}

}  // namespace ctgen
