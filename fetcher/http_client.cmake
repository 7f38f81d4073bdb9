# The libcurl HTTP client of ct-fetch (bounded, gzip-decoding, retrying).
# Included from fetcher/CMakeLists.txt.
find_package(CURL REQUIRED)
find_package(ZLIB REQUIRED)
ct_cc_library(NAME ct_http
  SRCS http_client.cc
  HDRS http_client.h
  DEPS CURL::libcurl ZLIB::ZLIB absl::status absl::statusor absl::strings)
