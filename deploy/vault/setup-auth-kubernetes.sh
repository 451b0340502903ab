#!/usr/bin/env bash
# Kubernetes auth: each service logs in with its projected service-account token
# (VAULT_AUTH_METHOD=kubernetes, VAULT_K8S_ROLE=<service>). Run from inside the cluster, or set
# K8S_HOST / K8S_CA_CERT_FILE to reach the API server.
set -euo pipefail
vault="${VAULT_CLI:-vault}"
namespace="${K8S_NAMESPACE:-auth-platform}"
if ! "$vault" auth list -format=json | grep -q '"kubernetes/"'; then
  "$vault" auth enable kubernetes
fi
"$vault" write auth/kubernetes/config \
  kubernetes_host="${K8S_HOST:-https://kubernetes.default.svc:443}" \
  ${K8S_CA_CERT_FILE:+kubernetes_ca_cert=@"$K8S_CA_CERT_FILE"}
# Token TTLs: the services renew at ~2/3 and log in again before token_max_ttl.
"$vault" write auth/kubernetes/role/token-service \
  bound_service_account_names=token-service bound_service_account_namespaces="$namespace" \
  token_policies=token-service token_ttl=1h token_max_ttl=24h
"$vault" write auth/kubernetes/role/auth-edge-service \
  bound_service_account_names=auth-edge-service bound_service_account_namespaces="$namespace" \
  token_policies=auth-edge-service token_ttl=1h token_max_ttl=24h
