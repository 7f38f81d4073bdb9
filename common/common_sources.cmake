ct_cc_library(NAME ct_common
  SRCS base64.cc certificate_decoder.cc certificate_file_reader.cc
       der_sequence_scanner.cc file_util.cc fqdn.cc hash128.cc hash_range.cc hash_set.cc
       issuer_tally_builder.cc map_plan.cc memory_budget.cc oracle_file.cc oracle_reader.cc
       pem_scanner.cc registered_domain.cc
  DEPS ct_x509 tally_proto PkgConfig::PSL PkgConfig::XXHASH absl::flat_hash_map
       absl::flat_hash_set absl::status absl::statusor absl::strings absl::function_ref)

# ZeroMQ plumbing shared by ct-coordinator and ct-worker.

ct_cc_library(NAME ct_zmq SRCS zmq_util.cc
  DEPS ct_common cppzmq absl::status absl::statusor absl::strings)

# /metrics and /healthz for the long-running processes.
ct_cc_library(NAME ct_metrics SRCS metrics_server.cc
  DEPS ct_common prometheus-cpp::core civetweb::civetweb-cpp absl::status absl::statusor
       absl::strings)
ct_cc_library(NAME ct_task_metrics SRCS task_metrics.cc
  DEPS tally_proto prometheus-cpp::core absl::strings)
