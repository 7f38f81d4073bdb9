# Unit tests of the shared modules of common/ (ct_common). They run with the
# repository root as working directory and read fixtures from tests/data/.
ct_cc_test(NAME base64_test SRCS base64_test.cc DEPS ct_common)
ct_cc_test(NAME pem_scanner_test SRCS pem_scanner_test.cc DEPS ct_common)
ct_cc_test(NAME der_sequence_scanner_test SRCS der_sequence_scanner_test.cc DEPS ct_common)
ct_cc_test(NAME fqdn_test SRCS fqdn_test.cc DEPS ct_common)
ct_cc_test(NAME civil_date_test SRCS civil_date_test.cc DEPS ct_common)
ct_cc_test(NAME hash_set_test SRCS hash_set_test.cc DEPS ct_common)
ct_cc_test(NAME registered_domain_test SRCS registered_domain_test.cc DEPS ct_common)
ct_cc_test(NAME file_util_test SRCS file_util_test.cc DEPS ct_common)
ct_cc_test(NAME certificate_file_reader_test
  SRCS certificate_file_reader_test.cc
  DEPS ct_common ct_x509 OpenSSL::Crypto)
ct_cc_test(NAME metrics_server_test SRCS metrics_server_test.cc
  DEPS ct_metrics ct_test_support)
ct_cc_test(NAME task_metrics_test SRCS task_metrics_test.cc DEPS ct_task_metrics)
ct_cc_test(NAME hash_range_test SRCS hash_range_test.cc DEPS ct_common)
ct_cc_test(NAME memory_budget_test SRCS memory_budget_test.cc DEPS ct_common Threads::Threads)
ct_cc_test(NAME map_plan_test SRCS map_plan_test.cc DEPS ct_common ct_test_support)
ct_cc_test(NAME oracle_reader_test SRCS oracle_reader_test.cc DEPS ct_common ct_test_support)
