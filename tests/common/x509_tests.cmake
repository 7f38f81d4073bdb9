# Tests of the X.509 readers (common/der_certificate_parser, openssl_certificate_parser,
# distinguished_name). Certificates come from tests/data/certs/.
ct_cc_test(NAME der_certificate_parser_test
  SRCS der_certificate_parser_test.cc
  DEPS ct_x509 OpenSSL::Crypto)
ct_cc_test(NAME openssl_certificate_parser_test
  SRCS openssl_certificate_parser_test.cc
  DEPS ct_x509 OpenSSL::Crypto)
ct_cc_test(NAME distinguished_name_test
  SRCS distinguished_name_test.cc
  DEPS ct_x509)
ct_cc_test(NAME certificate_parser_agreement_test
  SRCS certificate_parser_agreement_test.cc
  DEPS ct_x509 OpenSSL::Crypto)
