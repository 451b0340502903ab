export const initialSchema = `
CREATE TABLE clients (
  client_id text PRIMARY KEY,
  name text NOT NULL,
  token_endpoint_auth_method text NOT NULL
    CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt')),
  secret_hash bytea,
  jwks jsonb,
  grant_types text[] NOT NULL,
  scopes text[] NOT NULL,
  audiences text[] NOT NULL,
  access_token_ttl_seconds integer,
  bound_identity text,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE refresh_families (
  family_id text PRIMARY KEY,
  client_id text NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  subject text NOT NULL,
  scope text NOT NULL,
  audience text[] NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX refresh_families_client ON refresh_families (client_id);

-- Only a SHA-256 of each refresh token is stored; used_at marks a rotated (spent) token.
CREATE TABLE refresh_tokens (
  token_hash bytea PRIMARY KEY,
  family_id text NOT NULL REFERENCES refresh_families (family_id) ON DELETE CASCADE,
  generation integer NOT NULL,
  issued_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- The revocation feed: edges pull it by seq and receive the same entries as events.
CREATE TABLE revocations (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('jti', 'family', 'epoch', 'key')),
  value text NOT NULL,
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revocations_kind_value ON revocations (kind, value);

CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL,
  public_jwk jsonb NOT NULL,
  secret_ref text NOT NULL,
  created_at timestamptz NOT NULL,
  activates_at timestamptz NOT NULL,
  retires_at timestamptz
);

CREATE TABLE client_assertion_jtis (
  client_id text NOT NULL,
  jti text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);

CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  event text NOT NULL,
  outcome text NOT NULL,
  actor text,
  client_id text,
  subject text,
  ip text,
  details jsonb NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
`;
