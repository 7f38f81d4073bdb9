// SHA256_Init/Update/Final: see Sha256Into.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "fetcher/verify/codec.h"

#include <openssl/sha.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ctmr::verify {

absl::StatusOr<std::string> DecodeBase64Strict(absl::string_view text) {
  std::string out;
  // absl's decoder tolerates missing padding and stray bits; re-encoding and
  // comparing rejects every non-canonical form.
  if (text.size() % 4 != 0 || !absl::Base64Unescape(text, &out) ||
      absl::Base64Escape(out) != text) {
    return absl::InvalidArgumentError("invalid base64");
  }
  return out;
}

std::string EncodeBase64(absl::string_view bytes) { return absl::Base64Escape(bytes); }

std::string EncodeBase64UrlNoPad(absl::string_view bytes) {
  return absl::WebSafeBase64Escape(bytes);  // absl omits the padding here
}

void Sha256Into(std::initializer_list<absl::string_view> parts, char* out) {
  // OpenSSL 3's SHA256() and EVP_Digest* allocate (and fetch the digest under
  // a lock) on every call: 2-6 mallocs an entry in ct-fetch. The low-level
  // SHA256_* functions, deprecated but kept through OpenSSL 3, do neither and
  // use the same SHA-NI code.
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  for (absl::string_view p : parts) SHA256_Update(&ctx, p.data(), p.size());
  SHA256_Final(reinterpret_cast<unsigned char*>(out), &ctx);
}

std::string Sha256(absl::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

std::string HexEncode(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

absl::Status CheckJsonNesting(absl::string_view json, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : json) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return absl::InvalidArgumentError("JSON nested too deeply");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return absl::OkStatus();
}

absl::Status TlsReader::ReadUint(size_t bytes, uint64_t* out) {
  if (bytes == 0 || bytes > 8 || data_.size() < bytes) {
    return absl::InvalidArgumentError("truncated integer");
  }
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(data_[i]);
  data_.remove_prefix(bytes);
  *out = v;
  return absl::OkStatus();
}

absl::Status TlsReader::ReadFixed(size_t n, absl::string_view* out) {
  if (data_.size() < n) return absl::InvalidArgumentError("truncated field");
  *out = data_.substr(0, n);
  data_.remove_prefix(n);
  return absl::OkStatus();
}

absl::Status TlsReader::ReadVector(size_t prefix_bytes, size_t max_len, absl::string_view* out) {
  uint64_t len = 0;
  absl::Status s = ReadUint(prefix_bytes, &len);
  if (!s.ok()) return s;
  if (len > max_len) {
    return absl::InvalidArgumentError(absl::StrCat("length ", len, " exceeds limit ", max_len));
  }
  return ReadFixed(static_cast<size_t>(len), out);
}

absl::Status TlsReader::ExpectEnd(absl::string_view what) const {
  if (!data_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(data_.size(), " trailing bytes after ", what));
  }
  return absl::OkStatus();
}

}  // namespace ctmr::verify
