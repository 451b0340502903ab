#!/usr/bin/env bash
# Prepares a Vault (or OpenBao: set VAULT_CLI=bao) for auth-platform: KV v2, policies, an auth
# method and the database secrets engine. Idempotent: safe to run again after a change.
# Needs VAULT_ADDR and a VAULT_TOKEN allowed to mount engines and write policies.
#   AUTH_METHOD=kubernetes|approle   (default kubernetes)
#   DB_CONNECTION_URL                 e.g. postgresql://{{username}}:{{password}}@postgres.auth-platform:5432/auth
#   DB_ADMIN_USER / DB_ADMIN_PASSWORD the role Vault uses to create and drop users
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vault="${VAULT_CLI:-vault}"

"$here/setup-kv.sh"
for policy in token-service auth-edge-service auth-platform-operator; do
  "$vault" policy write "$policy" "$here/policies/$policy.hcl"
done
case "${AUTH_METHOD:-kubernetes}" in
  kubernetes) "$here/setup-auth-kubernetes.sh" ;;
  approle) "$here/setup-auth-approle.sh" ;;
  *) echo "AUTH_METHOD must be kubernetes or approle" >&2; exit 64 ;;
esac
if [[ -n "${DB_CONNECTION_URL:-}" ]]; then
  "$here/setup-database.sh"
else
  echo "DB_CONNECTION_URL not set: skipping the database secrets engine (token-service then uses DATABASE_URL's own user)"
fi
