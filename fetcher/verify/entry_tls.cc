#include "fetcher/verify/entry_tls.h"

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "fetcher/verify/codec.h"

namespace ctmr::verify {
namespace {

constexpr size_t kMaxCert = (size_t{1} << 24) - 1;
constexpr size_t kMaxExtensions = (size_t{1} << 16) - 1;

absl::Status Invalid(absl::string_view what, const absl::Status& cause) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", cause.message()));
}

// ASN.1Cert = opaque<1..2^24-1>.
absl::Status ReadCert(TlsReader* r, absl::string_view what, absl::string_view* out) {
  absl::Status s = r->ReadVector(3, kMaxCert, out);
  if (!s.ok()) return Invalid(what, s);
  if (out->empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": empty certificate"));
  return absl::OkStatus();
}

// ASN.1Cert chain<0..2^24-1>, at most kMaxChainLength certificates.
absl::Status ReadChain(TlsReader* r, ChainFields* chain) {
  absl::string_view list;
  absl::Status s = r->ReadVector(3, kMaxCert, &list);
  if (!s.ok()) return Invalid("certificate chain", s);
  TlsReader certs(list);
  chain->size = 0;
  while (!certs.empty()) {
    if (chain->size == kMaxChainLength) {
      return absl::InvalidArgumentError("certificate chain: too many certificates");
    }
    RETURN_IF_ERROR(ReadCert(&certs, "chain certificate", &chain->certs[chain->size]));
    ++chain->size;
  }
  return absl::OkStatus();
}

// TimestampedEntry (RFC 6962 §3.4).
absl::Status ReadTimestampedEntry(TlsReader* r, EntryFields* fields) {
  uint64_t type = 0;
  absl::Status s = r->ReadUint(8, &fields->timestamp);
  if (s.ok()) s = r->ReadUint(2, &type);
  if (!s.ok()) return Invalid("timestamped entry", s);
  if (type == static_cast<uint64_t>(LogEntryType::kX509)) {
    fields->type = LogEntryType::kX509;
    RETURN_IF_ERROR(ReadCert(r, "x509 entry", &fields->certificate));
  } else if (type == static_cast<uint64_t>(LogEntryType::kPrecert)) {
    fields->type = LogEntryType::kPrecert;
    s = r->ReadFixed(kFingerprintSize, &fields->issuer_key_hash);
    if (!s.ok()) return Invalid("precert entry", s);
    RETURN_IF_ERROR(ReadCert(r, "precert TBSCertificate", &fields->tbs_certificate));
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown entry type ", type));
  }
  s = r->ReadVector(2, kMaxExtensions, &fields->extensions);
  if (!s.ok()) return Invalid("extensions", s);
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadMerkleTreeLeaf(absl::string_view leaf, EntryFields* fields) {
  *fields = EntryFields();
  TlsReader r(leaf);
  uint64_t version = 0;
  uint64_t leaf_type = 0;
  absl::Status s = r.ReadUint(1, &version);
  if (s.ok()) s = r.ReadUint(1, &leaf_type);
  if (!s.ok()) return Invalid("MerkleTreeLeaf", s);
  if (version != 0) return absl::InvalidArgumentError("MerkleTreeLeaf: unknown version");
  if (leaf_type != 0) return absl::InvalidArgumentError("MerkleTreeLeaf: unknown leaf type");
  RETURN_IF_ERROR(ReadTimestampedEntry(&r, fields));
  return r.ExpectEnd("MerkleTreeLeaf");
}

absl::Status ReadExtraData(absl::string_view extra_data, EntryFields* fields, ChainFields* chain) {
  TlsReader r(extra_data);
  if (fields->type == LogEntryType::kPrecert) {
    RETURN_IF_ERROR(ReadCert(&r, "pre_certificate", &fields->certificate));
  }
  RETURN_IF_ERROR(ReadChain(&r, chain));
  return r.ExpectEnd("extra_data");
}

absl::Status ReadTileLeaf(absl::string_view* data, EntryFields* fields,
                          absl::string_view* timestamped_entry, absl::string_view* fingerprints) {
  *fields = EntryFields();
  const absl::string_view start = *data;
  TlsReader r(start);
  RETURN_IF_ERROR(ReadTimestampedEntry(&r, fields));
  *timestamped_entry = start.substr(0, start.size() - r.remaining().size());
  if (fields->type == LogEntryType::kPrecert) {
    RETURN_IF_ERROR(ReadCert(&r, "TileLeaf pre_certificate", &fields->certificate));
  }
  absl::Status s = r.ReadVector(2, kMaxChainLength * kFingerprintSize, fingerprints);
  if (!s.ok()) return Invalid("TileLeaf chain", s);
  if (fingerprints->size() % kFingerprintSize != 0) {
    return absl::InvalidArgumentError("TileLeaf chain: not a list of fingerprints");
  }
  *data = r.remaining();
  return absl::OkStatus();
}

}  // namespace ctmr::verify
