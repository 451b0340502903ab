/**
 * `client` revocations: every token one client was issued up to a cutoff (value
 * `<cutoff seconds>:<client_id>`), recorded when a client is disabled, deleted or revoked.
 */
export const clientRevocations = `
ALTER TABLE revocations DROP CONSTRAINT revocations_kind_check;
ALTER TABLE revocations ADD CONSTRAINT revocations_kind_check
  CHECK (kind IN ('jti', 'family', 'epoch', 'key', 'client'));
`;
