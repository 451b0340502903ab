#!/usr/bin/env bash
# AppRole auth for machines outside Kubernetes (VAULT_AUTH_METHOD=approle). Prints each
# role_id; generate a secret_id per instance and deliver it as a file (VAULT_SECRET_ID_FILE).
set -euo pipefail
vault="${VAULT_CLI:-vault}"
if ! "$vault" auth list -format=json | grep -q '"approle/"'; then
  "$vault" auth enable approle
fi
for service in token-service auth-edge-service; do
  "$vault" write "auth/approle/role/$service" token_policies="$service" token_ttl=1h token_max_ttl=24h secret_id_ttl=720h
  echo "$service role_id: $("$vault" read -field=role_id "auth/approle/role/$service/role-id")"
done
echo "secret ids: $vault write -f -field=secret_id auth/approle/role/<service>/secret-id > secret-id (mode 0600)"
