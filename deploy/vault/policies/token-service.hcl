# token-service: its signing keys and its own secrets in KV v2, dynamic PostgreSQL
# credentials from the database engine, and the lease/token upkeep that keeps them.
# Paths follow the defaults VAULT_KV_MOUNT=secret, VAULT_KV_PREFIX=auth-platform,
# VAULT_DB_MOUNT=database, VAULT_DB_ROLE=token-service.

# Generated signing keys: written at rotation, read back by every replica.
path "secret/data/auth-platform/jwt/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/data/auth-platform/token-service/*" {
  capabilities = ["create", "read", "update"]
}
# The revocation feed token it generates on first start, for the edges to read.
path "secret/data/auth-platform/revocation-feed/token" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/auth-platform/jwt/*" {
  capabilities = ["read", "list"]
}

# Dynamic database credentials.
path "database/creds/token-service" {
  capabilities = ["read"]
}

# Keep, inspect and give back its own leases.
path "sys/leases/renew" {
  capabilities = ["update"]
}
path "sys/leases/lookup" {
  capabilities = ["update"]
}
path "sys/leases/revoke" {
  capabilities = ["update"]
}

# Its own token (also in Vault's default policy; stated so the policy reads whole).
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
