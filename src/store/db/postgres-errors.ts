/**
 * The two PostgreSQL failures a pool on dynamic credentials must tell apart from every other
 * error, because what is safe to do next depends on them.
 */

/**
 * SQLSTATE 28000 (invalid_authorization_specification: the role does not exist or may not log in)
 * or 28P01 (invalid_password). PostgreSQL raises them only while a connection is being opened, so
 * no statement ran: whatever was asked can be asked again on other credentials.
 */
export function credentialsRejected(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '28000' || code === '28P01';
}

/** pg's own messages when the socket closed under a query or a checked-out client. */
const LOST = /^(Connection terminated|Client has encountered a connection error|Client was closed)/;

/**
 * The session ended under us: the server terminated it (57P01 `pg_terminate_backend`, which is how
 * Vault's revocation statements end a revoked role's sessions; 57P02 crash) or the socket closed.
 * Whatever was in flight did not report back: it may or may not have run.
 */
export function connectionLost(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === '57P01' || code === '57P02' || code === 'ECONNRESET' || code === 'EPIPE') return true;
  return code === undefined && typeof message === 'string' && LOST.test(message);
}
