// precert_tbs on generated precertificates, against OpenSSL: the poison first,
// in the middle, last and alone, with sizes that move every enclosing length
// across a length-form boundary; a ct-gen corpus; and the RFC 6962 §3.1
// rewrite for a Precertificate Signing Certificate, whose expected TBS is built
// independently with OpenSSL's X509 setters.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "common/x509/openssl_precert_tbs.h"
#include "common/x509/precert_tbs.h"
#include "tools/ct_gen/certificate_template.h"
#include "tools/ct_gen/der_writer.h"
#include "tools/ct_gen/issuers.h"

namespace ctmr::x509 {
namespace {

struct Ext {
  std::string oid;  // dotted
  bool critical = false;
  std::string value;
};

const Ext kPoison{"1.3.6.1.4.1.11129.2.4.3", true, std::string("\x05\x00", 2)};
const Ext kBasicConstraints{"2.5.29.19", true, std::string("\x30\x00", 2)};
const Ext kSubjectKeyId{"2.5.29.14", false, std::string("\x04\x02\xab\xcd", 4)};
// ExtKeyUsageSyntax { id-kp-precertificate-signing }
const Ext kPrecertSigningEku{
    "2.5.29.37", true, std::string("\x30\x0c\x06\x0a\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x04", 14)};

Ext Padding(size_t n) { return {"1.2.3.4", false, std::string(n, 'p')}; }

// AuthorityKeyIdentifier { keyIdentifier [0] 20 bytes of `fill` }
Ext AuthorityKeyId(char fill) {
  return {"2.5.29.35", false, std::string("\x30\x16\x80\x14", 4) + std::string(20, fill)};
}

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

EVP_PKEY* Key() {
  static EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  return key;
}

X509_NAME* Name(const std::string& cn) {
  X509_NAME* n = X509_NAME_new();
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.data()),
                             static_cast<int>(cn.size()), -1, 0);
  return n;
}

X509_EXTENSION* NewExtension(const Ext& e) {
  ASN1_OBJECT* oid = OBJ_txt2obj(e.oid.c_str(), 1);
  ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(value, reinterpret_cast<const unsigned char*>(e.value.data()),
                        static_cast<int>(e.value.size()));
  X509_EXTENSION* x = X509_EXTENSION_create_by_OBJ(nullptr, oid, e.critical ? 1 : 0, value);
  ASN1_OBJECT_free(oid);
  ASN1_OCTET_STRING_free(value);
  return x;
}

// A signed Ed25519 certificate with the given names and extensions, as DER.
std::string MakeCert(const std::string& issuer, const std::string& subject,
                     const std::vector<Ext>& exts) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 0x1234);
  X509_NAME* in = Name(issuer);
  X509_NAME* sn = Name(subject);
  X509_set_issuer_name(x.get(), in);
  X509_set_subject_name(x.get(), sn);
  X509_NAME_free(in);
  X509_NAME_free(sn);
  ASN1_TIME_set(X509_getm_notBefore(x.get()), 1750000000);
  ASN1_TIME_set(X509_getm_notAfter(x.get()), 1760000000);
  X509_set_pubkey(x.get(), Key());
  for (const Ext& e : exts) {
    X509_EXTENSION* ext = NewExtension(e);
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  EXPECT_GT(X509_sign(x.get(), Key(), nullptr), 0);
  unsigned char* der = nullptr;
  const int len = i2d_X509(x.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// A TLV's header length and content, for well-formed input.
std::pair<size_t, std::string_view> Tlv(std::string_view der) {
  size_t len = static_cast<uint8_t>(der[1]), header = 2;
  if (len & 0x80) {
    const size_t n = len & 0x7f;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<uint8_t>(der[2 + i]);
    header += n;
  }
  return {header, der.substr(header, len)};
}

// The header sizes of a TBSCertificate, its [3] and its SEQUENCE OF Extension
// (0 when there are no extensions): which length forms the encoder chose.
struct Forms {
  size_t tbs = 0, wrapper = 0, list = 0;
  bool operator<(const Forms& o) const {
    return std::tie(tbs, wrapper, list) < std::tie(o.tbs, o.wrapper, o.list);
  }
};

Forms FormsOf(std::string_view tbs) {
  Forms f;
  auto [header, content] = Tlv(tbs);
  f.tbs = header;
  while (!content.empty()) {
    auto [h, c] = Tlv(content);
    if (content[0] == '\xa3') {
      f.wrapper = h;
      f.list = Tlv(c).first;
    }
    content.remove_prefix(h + c.size());
  }
  return f;
}

// The first TLV of `der`, whole.
std::string_view FirstTlv(std::string_view der) {
  const auto [header, content] = Tlv(der);
  return der.substr(0, header + content.size());
}

TEST(PrecertTbsGenerated, PoisonAnywhereAgreesWithOpenSsl) {
  enum Position { kFirst, kMiddle, kLast, kOnly };
  std::set<std::pair<Forms, Forms>> transitions;  // (precert TBS, output TBS)
  std::string fast, slow;
  int cases = 0;
  for (Position pos : {kFirst, kMiddle, kLast, kOnly}) {
    // Sweep the subject (TBS length) and a padding extension (list length).
    for (int sweep = 0; sweep < 2; ++sweep) {
      for (size_t n = 1; n <= 280; ++n) {
        const size_t cn = sweep == 0 ? n : 1, pad = sweep == 1 ? n : 0;
        if (pos == kOnly && sweep == 1) break;
        std::vector<Ext> exts;
        if (pos == kFirst) exts = {kPoison, kBasicConstraints, Padding(pad), kSubjectKeyId};
        if (pos == kMiddle) exts = {kBasicConstraints, Padding(pad), kPoison, kSubjectKeyId};
        if (pos == kLast) exts = {kBasicConstraints, Padding(pad), kSubjectKeyId, kPoison};
        if (pos == kOnly) exts = {kPoison};
        const std::string cert = MakeCert("issuer", std::string(cn, 's'), exts);
        SCOPED_TRACE("position " + std::to_string(pos) + " cn " + std::to_string(cn) + " pad " +
                     std::to_string(pad));
        ASSERT_TRUE(RemovePoisonToTbsWithOpenSsl(cert, &slow).ok());
        const absl::Status s = RemovePoisonToTbs(cert, &fast);
        ASSERT_TRUE(s.ok()) << s;
        ASSERT_EQ(fast, slow);
        ++cases;
        transitions.insert({FormsOf(FirstTlv(Tlv(cert).second)), FormsOf(fast)});
      }
    }
  }
  EXPECT_EQ(cases, 3 * 560 + 280);
  // Each enclosing length is seen to shrink from the 0x82 to the 0x81 form
  // and from 0x81 to the short form, and the lone poison takes [3] with it.
  auto seen = [&](size_t Forms::*level, size_t from, size_t to) {
    for (const auto& [in, out] : transitions) {
      if (in.*level == from && out.*level == to) return true;
    }
    return false;
  };
  for (size_t Forms::*level : {&Forms::tbs, &Forms::wrapper, &Forms::list}) {
    EXPECT_TRUE(seen(level, 4, 3));
    EXPECT_TRUE(seen(level, 3, 2));
  }
  EXPECT_TRUE(seen(&Forms::wrapper, 2, 0));
}

TEST(PrecertTbsGenerated, StrictAboutThePoisonItself) {
  std::string fast, slow;
  const std::string two = MakeCert("i", "s", {kPoison, kBasicConstraints, kPoison});
  EXPECT_TRUE(absl::IsInvalidArgument(RemovePoisonToTbs(two, &fast)));
  const std::string lax = MakeCert("i", "s", {{kPoison.oid, false, kPoison.value}});
  EXPECT_TRUE(absl::IsInvalidArgument(RemovePoisonToTbs(lax, &fast)));
  const std::string odd = MakeCert("i", "s", {{kPoison.oid, true, std::string("\x04\x00", 2)}});
  EXPECT_TRUE(absl::IsInvalidArgument(RemovePoisonToTbs(odd, &fast)));
  // OpenSSL takes all three (it removes the first poison of two); so does the
  // check, through its fallback.
  for (const std::string& cert : {two, lax, odd}) {
    ASSERT_TRUE(RemovePoisonToTbsWithOpenSsl(cert, &slow).ok());
    EXPECT_TRUE(CheckPrecertificateTbs(cert, slow, "", &fast).ok());
  }
  // Other duplicated extensions do not matter to d2i_X509, nor here.
  const std::string dup = MakeCert("i", "s", {kBasicConstraints, kPoison, kBasicConstraints});
  ASSERT_TRUE(RemovePoisonToTbs(dup, &fast).ok());
  ASSERT_TRUE(RemovePoisonToTbsWithOpenSsl(dup, &slow).ok());
  EXPECT_EQ(fast, slow);
  EXPECT_TRUE(absl::IsNotFound(RemovePoisonToTbs(MakeCert("i", "s", {kBasicConstraints}), &fast)));
  EXPECT_TRUE(absl::IsNotFound(RemovePoisonToTbs(MakeCert("i", "s", {}), &fast)));
}

TEST(PrecertTbsGenerated, CtGenCorpusAgreesWithOpenSsl) {
  const absl::StatusOr<std::vector<ctgen::Issuer>> issuers = ctgen::MakeIssuers(7);
  ASSERT_TRUE(issuers.ok()) << issuers.status();
  std::string fast, slow;
  int cases = 0;
  for (const ctgen::Issuer& issuer : *issuers) {
    SCOPED_TRACE(issuer.short_name);
    const ctgen::CertificateTemplate t(issuer);
    for (int names = 0; names <= 24; ++names) {
      ctgen::LeafSpec spec;
      spec.serial = std::string("\x01\x02", 2) + static_cast<char>(names);
      spec.not_before = 1750000000;
      spec.not_after = spec.not_before + 90 * 86400;
      spec.subject = {{"2.5.4.3", ctgen::der::kUtf8String, "host0.example.com"}};
      spec.has_san = names > 0;
      for (int i = 0; i < names; ++i) {
        spec.san_dns.push_back("host" + std::to_string(i) + std::string(i * 3, 'x') + ".example");
      }
      spec.precertificate = true;
      std::string cert;
      t.Build(spec, &cert);
      ASSERT_TRUE(RemovePoisonToTbsWithOpenSsl(cert, &slow).ok());
      const absl::Status s = RemovePoisonToTbs(cert, &fast);
      ASSERT_TRUE(s.ok()) << s;
      EXPECT_EQ(fast, slow);
      EXPECT_TRUE(CheckPrecertificateTbs(cert, slow, issuer.certificate_der, &fast).ok());
      ++cases;
    }
    const absl::StatusOr<std::string_view> spki = SubjectPublicKeyInfoDer(issuer.certificate_der);
    ASSERT_TRUE(spki.ok()) << spki.status();
    EXPECT_EQ(*spki, issuer.spki_der);
  }
  EXPECT_EQ(cases, 8 * 25);
}

// RFC 6962 §3.1, built with OpenSSL's setters: the precertificate less its
// poison, the signer's issuer Name, and the signer's AKI value in place of the
// precertificate's (its criticality kept), removed when the signer has none,
// appended when only the signer has one.
std::string RewrittenWithOpenSsl(const std::string& precert, const std::string& signer) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(precert.data());
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(precert.size())));
  p = reinterpret_cast<const unsigned char*>(signer.data());
  X509Ptr s(d2i_X509(nullptr, &p, static_cast<long>(signer.size())));
  X509_EXTENSION_free(
      X509_delete_ext(x.get(), X509_get_ext_by_NID(x.get(), NID_ct_precert_poison, -1)));
  X509_set_issuer_name(x.get(), X509_get_issuer_name(s.get()));
  const int at = X509_get_ext_by_NID(x.get(), NID_authority_key_identifier, -1);
  const int signer_at = X509_get_ext_by_NID(s.get(), NID_authority_key_identifier, -1);
  if (at >= 0) {
    X509_EXTENSION* old = X509_delete_ext(x.get(), at);
    if (signer_at >= 0) {
      X509_EXTENSION* replacement = X509_EXTENSION_dup(X509_get_ext(s.get(), signer_at));
      X509_EXTENSION_set_critical(replacement, X509_EXTENSION_get_critical(old));
      X509_add_ext(x.get(), replacement, at);
      X509_EXTENSION_free(replacement);
    }
    X509_EXTENSION_free(old);
  } else if (signer_at >= 0) {
    X509_add_ext(x.get(), X509_get_ext(s.get(), signer_at), -1);
  }
  unsigned char* tbs = nullptr;
  const int len = i2d_re_X509_tbs(x.get(), &tbs);
  std::string out(reinterpret_cast<char*>(tbs), static_cast<size_t>(len));
  OPENSSL_free(tbs);
  return out;
}

TEST(PrecertTbsGenerated, PrecertSigningCertificateRewrite) {
  std::string scratch, plain;
  int cases = 0;
  for (bool precert_aki : {true, false}) {
    for (bool signer_aki : {true, false}) {
      for (bool poison_first : {true, false}) {
        SCOPED_TRACE(std::to_string(precert_aki) + std::to_string(signer_aki) +
                     std::to_string(poison_first));
        std::vector<Ext> signer_exts = {kPrecertSigningEku, kBasicConstraints};
        if (signer_aki) signer_exts.push_back(AuthorityKeyId('A'));
        const std::string signer = MakeCert("Real CA", "Precert Signer", signer_exts);
        signer_exts.erase(signer_exts.begin());
        const std::string not_signer = MakeCert("Real CA", "Precert Signer", signer_exts);

        std::vector<Ext> exts = {kSubjectKeyId, Padding(40)};
        if (precert_aki)
          exts.insert(exts.begin() + 1, {"2.5.29.35", true, AuthorityKeyId('B').value});
        exts.insert(poison_first ? exts.begin() : exts.end(), kPoison);
        const std::string precert = MakeCert("Precert Signer", "leaf", exts);

        const std::string logged = RewrittenWithOpenSsl(precert, signer);
        ASSERT_TRUE(RemovePoisonToTbs(precert, &plain).ok());
        ASSERT_NE(logged, plain);
        EXPECT_TRUE(CheckPrecertificateTbs(precert, logged, signer, &scratch).ok());
        EXPECT_TRUE(CheckPrecertificateTbs(precert, plain, signer, &scratch).ok());
        EXPECT_TRUE(
            absl::IsDataLoss(CheckPrecertificateTbs(precert, logged, not_signer, &scratch)));
        EXPECT_TRUE(absl::IsDataLoss(CheckPrecertificateTbs(precert, logged, "", &scratch)));
        for (size_t i = 0; i < logged.size(); i += 5) {
          std::string tampered = logged;
          tampered[i] ^= 0x20;
          EXPECT_TRUE(absl::IsDataLoss(CheckPrecertificateTbs(precert, tampered, signer, &scratch)))
              << i;
        }
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 8);
}

TEST(PrecertTbsGenerated, RealPreissuerChainRewrite) {
  // preissuer-chain.pem: precertificate, Precertificate Signing Certificate,
  // intermediate, root.
  const char* root = std::getenv("CT_SOURCE_DIR");
  std::ifstream in((root != nullptr ? std::string(root) + "/" : std::string()) +
                       "tests/data/certs/preissuer-chain.pem",
                   std::ios::binary);
  std::stringstream pem;
  pem << in.rdbuf();
  const std::string text = pem.str();
  std::vector<std::string> chain;
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    unsigned char* der = nullptr;
    const int len = i2d_X509(x, &der);
    chain.emplace_back(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    X509_free(x);
  }
  BIO_free(bio);
  ASSERT_EQ(chain.size(), 4u);
  const std::string logged = RewrittenWithOpenSsl(chain[0], chain[1]);
  std::string plain, scratch;
  ASSERT_TRUE(RemovePoisonToTbs(chain[0], &plain).ok());
  ASSERT_NE(logged, plain);
  EXPECT_TRUE(CheckPrecertificateTbs(chain[0], logged, chain[1], &scratch).ok());
  EXPECT_TRUE(absl::IsDataLoss(CheckPrecertificateTbs(chain[0], logged, chain[2], &scratch)));
}

}  // namespace
}  // namespace ctmr::x509
