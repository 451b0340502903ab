# The operator running `authctl leases …` and `authctl vault status` (runbook: Secret
# Rotation Failure). Unseal needs no token; sealing and revoke-prefix need sudo.
path "sys/leases/lookup" {
  capabilities = ["update"]
}
path "sys/leases/renew" {
  capabilities = ["update"]
}
path "sys/leases/revoke" {
  capabilities = ["update"]
}
path "sys/leases/revoke-prefix/database/creds/token-service" {
  capabilities = ["update", "sudo"]
}
path "sys/seal" {
  capabilities = ["update", "sudo"]
}
