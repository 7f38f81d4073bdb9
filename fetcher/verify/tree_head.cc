#include "fetcher/verify/tree_head.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "fetcher/verify/codec.h"
#include "fetcher/verify/merkle.h"
#include "nlohmann/json.hpp"

namespace ctmr::verify {
namespace {

// TLS 1.2 HashAlgorithm / SignatureAlgorithm values used by RFC 6962.
constexpr uint8_t kHashSha256 = 4;
constexpr uint8_t kSigRsa = 1;
constexpr uint8_t kSigEcdsa = 3;

constexpr size_t kMaxSthJson = 64 * 1024;
constexpr size_t kMaxSignature = 4096;  // a DigitallySigned of RSA-8192 fits
constexpr size_t kMaxNote = 64 * 1024;
constexpr size_t kMaxNoteSignatures = 100;
constexpr uint64_t kMaxTreeSize = uint64_t{1} << 63;

constexpr absl::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

void AppendUint(uint64_t v, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

absl::StatusOr<uint64_t> JsonUint(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_unsigned()) {
    return absl::InvalidArgumentError(absl::StrCat("get-sth: missing or bad \"", name, "\""));
  }
  return it->get<uint64_t>();
}

absl::StatusOr<std::string> JsonBase64(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("get-sth: missing or bad \"", name, "\""));
  }
  absl::StatusOr<std::string> bytes = DecodeBase64Strict(it->get_ref<const std::string&>());
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("get-sth: \"", name, "\" is not base64"));
  }
  return bytes;
}

// A decimal tree size as tlog-checkpoint writes it: no sign, no leading zeros.
absl::StatusOr<uint64_t> ParseTreeSize(absl::string_view text) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) {
    return absl::InvalidArgumentError("checkpoint: bad tree size");
  }
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return absl::InvalidArgumentError("checkpoint: bad tree size");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > kMaxTreeSize) return absl::InvalidArgumentError("checkpoint: tree size too large");
  return v;
}

absl::StatusOr<NoteSignature> ParseSignatureLine(absl::string_view line) {
  if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
    return absl::InvalidArgumentError("checkpoint: signature line without em dash");
  }
  line.remove_prefix(kSignaturePrefix.size());
  const size_t space = line.find(' ');
  if (space == absl::string_view::npos || space == 0) {
    return absl::InvalidArgumentError("checkpoint: malformed signature line");
  }
  NoteSignature sig;
  sig.key_name = std::string(line.substr(0, space));
  if (sig.key_name.find('+') != std::string::npos) {
    return absl::InvalidArgumentError("checkpoint: '+' in key name");
  }
  absl::StatusOr<std::string> blob = DecodeBase64Strict(line.substr(space + 1));
  if (!blob.ok() || blob->size() < 5) {
    return absl::InvalidArgumentError("checkpoint: malformed signature");
  }
  TlsReader r(*blob);
  uint64_t key_id = 0;
  (void)r.ReadUint(4, &key_id);
  sig.key_id = static_cast<uint32_t>(key_id);
  sig.signature = std::string(r.remaining());
  return sig;
}

}  // namespace

absl::StatusOr<LogKey> LogKey::FromDer(absl::string_view spki_der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(spki_der.data());
  EVP_PKEY* raw = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size()));
  if (raw == nullptr) return absl::InvalidArgumentError("log key: not a SubjectPublicKeyInfo");
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(raw);
  if (p != reinterpret_cast<const unsigned char*>(spki_der.data()) + spki_der.size()) {
    return absl::InvalidArgumentError("log key: trailing bytes");
  }
  LogKey key;
  switch (EVP_PKEY_get_base_id(pkey.get())) {
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                         sizeof(group), &len) != 1 ||
          absl::string_view(group) != "prime256v1") {
        return absl::InvalidArgumentError("log key: EC key not on P-256");
      }
      key.signature_algorithm_ = kSigEcdsa;
      break;
    }
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(pkey.get()) < 2048) {
        return absl::InvalidArgumentError("log key: RSA key shorter than 2048 bits");
      }
      key.signature_algorithm_ = kSigRsa;
      break;
    default:
      return absl::InvalidArgumentError("log key: neither ECDSA P-256 nor RSA");
  }
  key.spki_der_ = std::string(spki_der);
  key.log_id_ = Sha256(spki_der);
  key.pkey_ = std::shared_ptr<EVP_PKEY>(pkey.release(), PkeyFree());
  return key;
}

absl::StatusOr<LogKey> LogKey::FromBase64(absl::string_view spki_base64) {
  absl::StatusOr<std::string> der = DecodeBase64Strict(spki_base64);
  if (!der.ok()) return absl::InvalidArgumentError("log key: not base64");
  return FromDer(*der);
}

absl::Status LogKey::VerifyDigitallySigned(absl::string_view digitally_signed,
                                           absl::string_view message) const {
  TlsReader r(digitally_signed);
  uint64_t hash = 0;
  uint64_t sig_alg = 0;
  absl::string_view signature;
  absl::Status s = r.ReadUint(1, &hash);
  if (s.ok()) s = r.ReadUint(1, &sig_alg);
  if (s.ok()) s = r.ReadVector(2, kMaxSignature, &signature);
  if (s.ok()) s = r.ExpectEnd("DigitallySigned");
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("signature: ", s.message()));
  if (hash != kHashSha256 || sig_alg != static_cast<uint64_t>(signature_algorithm_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature: algorithm (", hash, ", ", sig_alg, ") does not match the key"));
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) != 1) {
    return absl::InternalError("signature: OpenSSL could not set up verification");
  }
  const int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (ok != 1) return absl::DataLossError("signature does not verify with the log's key");
  return absl::OkStatus();
}

std::string TreeHeadSignatureInput(uint64_t timestamp, uint64_t tree_size,
                                   absl::string_view root_hash) {
  std::string out;
  out.reserve(2 + 8 + 8 + root_hash.size());
  out.push_back('\x00');  // Version v1
  out.push_back('\x01');  // SignatureType tree_hash
  AppendUint(timestamp, 8, &out);
  AppendUint(tree_size, 8, &out);
  out.append(root_hash.data(), root_hash.size());
  return out;
}

absl::StatusOr<SignedTreeHead> ParseGetSthResponse(absl::string_view json) {
  if (json.size() > kMaxSthJson) return absl::InvalidArgumentError("get-sth: response too large");
  absl::Status depth = CheckJsonNesting(json, 4);
  if (!depth.ok()) return depth;
  const nlohmann::json j = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!j.is_object()) return absl::InvalidArgumentError("get-sth: not a JSON object");
  SignedTreeHead sth;
  absl::StatusOr<uint64_t> size = JsonUint(j, "tree_size");
  if (!size.ok()) return size.status();
  absl::StatusOr<uint64_t> timestamp = JsonUint(j, "timestamp");
  if (!timestamp.ok()) return timestamp.status();
  absl::StatusOr<std::string> root = JsonBase64(j, "sha256_root_hash");
  if (!root.ok()) return root.status();
  absl::StatusOr<std::string> sig = JsonBase64(j, "tree_head_signature");
  if (!sig.ok()) return sig.status();
  if (*size > kMaxTreeSize) return absl::InvalidArgumentError("get-sth: tree_size too large");
  if (root->size() != kMerkleHashSize) {
    return absl::InvalidArgumentError("get-sth: sha256_root_hash is not 32 bytes");
  }
  sth.tree_size = *size;
  sth.timestamp = *timestamp;
  sth.sha256_root_hash = *std::move(root);
  sth.tree_head_signature = *std::move(sig);
  return sth;
}

absl::Status VerifySignedTreeHead(const SignedTreeHead& sth, const LogKey& key) {
  if (sth.sha256_root_hash.size() != kMerkleHashSize) {
    return absl::InvalidArgumentError("tree head: root hash is not 32 bytes");
  }
  return key.VerifyDigitallySigned(
      sth.tree_head_signature,
      TreeHeadSignatureInput(sth.timestamp, sth.tree_size, sth.sha256_root_hash));
}

absl::StatusOr<Checkpoint> ParseCheckpoint(absl::string_view note) {
  if (note.size() > kMaxNote) return absl::InvalidArgumentError("checkpoint: too large");
  for (char c : note) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7f) {
      return absl::InvalidArgumentError("checkpoint: control character");
    }
  }
  const size_t split = note.rfind("\n\n");
  if (split == absl::string_view::npos) {
    return absl::InvalidArgumentError("checkpoint: no blank line before the signatures");
  }
  Checkpoint cp;
  const absl::string_view text = note.substr(0, split + 1);
  absl::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return absl::InvalidArgumentError("checkpoint: signatures missing or not newline-terminated");
  }
  sigs.remove_suffix(1);
  for (absl::string_view line : absl::StrSplit(sigs, '\n')) {
    if (cp.signatures.size() == kMaxNoteSignatures) {
      return absl::InvalidArgumentError("checkpoint: too many signatures");
    }
    absl::StatusOr<NoteSignature> sig = ParseSignatureLine(line);
    if (!sig.ok()) return sig.status();
    cp.signatures.push_back(*std::move(sig));
  }

  std::vector<absl::string_view> lines =
      absl::StrSplit(text.substr(0, text.size() - 1), '\n');  // text ends in '\n'
  if (lines.size() < 3) return absl::InvalidArgumentError("checkpoint: fewer than three lines");
  for (absl::string_view line : lines) {
    if (line.empty()) return absl::InvalidArgumentError("checkpoint: empty line in the body");
  }
  cp.origin = std::string(lines[0]);
  absl::StatusOr<uint64_t> size = ParseTreeSize(lines[1]);
  if (!size.ok()) return size.status();
  cp.tree_size = *size;
  absl::StatusOr<std::string> root = DecodeBase64Strict(lines[2]);
  if (!root.ok() || root->size() != kMerkleHashSize) {
    return absl::InvalidArgumentError("checkpoint: root hash is not base64 of 32 bytes");
  }
  cp.root_hash = *std::move(root);
  for (size_t i = 3; i < lines.size(); ++i) cp.extensions.emplace_back(lines[i]);
  cp.signed_text = std::string(text);
  return cp;
}

uint32_t Rfc6962NoteKeyId(absl::string_view key_name, const LogKey& key) {
  std::string input(key_name.data(), key_name.size());
  input.push_back('\x0A');
  input.push_back('\x05');
  input += key.log_id();
  const std::string digest = Sha256(input);
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id = (id << 8) | static_cast<uint8_t>(digest[i]);
  return id;
}

absl::StatusOr<SignedTreeHead> VerifyCheckpoint(const Checkpoint& checkpoint,
                                                absl::string_view origin, const LogKey& key) {
  if (checkpoint.origin != origin) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint: origin \"", checkpoint.origin, "\" is not \"", origin, "\""));
  }
  if (!checkpoint.extensions.empty()) {
    return absl::InvalidArgumentError("checkpoint: extension lines in an RFC 6962-signed note");
  }
  const uint32_t key_id = Rfc6962NoteKeyId(origin, key);
  bool verified = false;
  SignedTreeHead sth;
  for (const NoteSignature& sig : checkpoint.signatures) {
    if (sig.key_name != origin || sig.key_id != key_id) continue;  // someone else's
    TlsReader r(sig.signature);
    uint64_t timestamp = 0;
    if (!r.ReadUint(8, &timestamp).ok()) {
      return absl::DataLossError("checkpoint: truncated RFC 6962 note signature");
    }
    absl::Status s = key.VerifyDigitallySigned(
        r.remaining(),
        TreeHeadSignatureInput(timestamp, checkpoint.tree_size, checkpoint.root_hash));
    if (!s.ok()) return absl::DataLossError(absl::StrCat("checkpoint: ", s.message()));
    if (verified && timestamp != sth.timestamp) {
      return absl::DataLossError("checkpoint: two log signatures with different timestamps");
    }
    verified = true;
    sth.tree_size = checkpoint.tree_size;
    sth.timestamp = timestamp;
    sth.sha256_root_hash = checkpoint.root_hash;
    sth.tree_head_signature = std::string(r.remaining());
  }
  if (!verified) return absl::DataLossError("checkpoint: not signed by the log's key");
  return sth;
}

}  // namespace ctmr::verify
