# auth-edge-service: read-only access to its own secrets (Redis credentials, the DPoP nonce
# secret, the key that signs identity assertions to upstreams). It verifies tokens with the
# public JWKS and never needs token-service's private keys.
path "secret/data/auth-platform/edge/*" {
  capabilities = ["read"]
}

# The revocation feed token token-service generates: the edge's bearer for the feed, and only that.
path "secret/data/auth-platform/revocation-feed/token" {
  capabilities = ["read"]
}

path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
