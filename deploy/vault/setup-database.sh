#!/usr/bin/env bash
# The database secrets engine: dynamic PostgreSQL users for token-service
# (VAULT_DB_ROLE=token-service). Each user is a member of auth_platform_app and acts as it, so
# tables created by migrations belong to auth_platform_app, not to a user Vault will drop.
# Before the first run, as a PostgreSQL superuser:
#   CREATE ROLE auth_platform_app NOLOGIN;
#   GRANT ALL ON DATABASE auth TO auth_platform_app;  GRANT ALL ON SCHEMA public TO auth_platform_app;
set -euo pipefail
vault="${VAULT_CLI:-vault}"
: "${DB_CONNECTION_URL:?DB_CONNECTION_URL is required}"
: "${DB_ADMIN_USER:?DB_ADMIN_USER is required}"
: "${DB_ADMIN_PASSWORD:?DB_ADMIN_PASSWORD is required}"
if ! "$vault" secrets list -format=json | grep -q '"database/"'; then
  "$vault" secrets enable database
fi
"$vault" write database/config/auth-platform \
  plugin_name=postgresql-database-plugin \
  connection_url="$DB_CONNECTION_URL" \
  username="$DB_ADMIN_USER" password="$DB_ADMIN_PASSWORD" \
  allowed_roles=token-service
# TTLs: the lease manager renews at ~2/3 of default_ttl and requests new credentials before max_ttl.
"$vault" write database/roles/token-service \
  db_name=auth-platform \
  default_ttl=1h max_ttl=24h \
  creation_statements="CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE auth_platform_app; ALTER ROLE \"{{name}}\" SET role = 'auth_platform_app';" \
  renew_statements="ALTER ROLE \"{{name}}\" VALID UNTIL '{{expiration}}';" \
  revocation_statements="SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}' AND pid <> pg_backend_pid(); REASSIGN OWNED BY \"{{name}}\" TO auth_platform_app; DROP OWNED BY \"{{name}}\"; DROP ROLE IF EXISTS \"{{name}}\";"
# Rotate the admin password so only Vault knows it.
echo "optional: $vault write -f database/rotate-root/auth-platform"
