/**
 * Anchors the audit log beyond its own hash chain, which anyone with write access to the table
 * could recompute. `hmac`: each entry's hash under the audit key held in the secrets provider, so
 * rows written with direct SQL by someone without the key fail verification (rows from before
 * this migration have none; the key records the first sequence number it covers). The row
 * trigger of 001 never fires for TRUNCATE, nor for a DELETE that matches no row: refuse the
 * statements themselves.
 */
export const auditAnchor = `
ALTER TABLE audit_log ADD COLUMN hmac text;

CREATE TRIGGER audit_log_append_only_statements
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
`;
