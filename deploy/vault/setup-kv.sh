#!/usr/bin/env bash
# KV v2 at secret/ (the default in dev servers; mounted here for production ones).
set -euo pipefail
vault="${VAULT_CLI:-vault}"
if ! "$vault" secrets list -format=json | grep -q '"secret/"'; then
  "$vault" secrets enable -path=secret -version=2 kv
fi
# Keep a few versions of each key, so a rotated signing key can be read back while tokens signed with it live.
"$vault" write secret/config max_versions=10 cas_required=false
