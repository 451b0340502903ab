import type { FastifyInstance } from 'fastify';
import { DatabaseUnavailableError, type AuditHead } from '../../../store/index.js';
import type { TokenServiceContext } from '../../context.js';
import { problems } from '../schemas.js';

/** How a head travels: `<seq>:<hash>`, in the `Audit-Head` header, in bodies and on authctl's command line. */
const HEAD_PATTERN = '^[0-9]{1,15}:[0-9a-f]{64}$';
const formatHead = (head: AuditHead) => `${head.seq}:${head.hash}`;

const headSchema = {
  type: ['object', 'null'],
  properties: { seq: { type: 'integer' }, hash: { type: 'string' }, head: { type: 'string' } },
};
const withText = (head: AuditHead | null) => (head === null ? null : { ...head, head: formatHead(head) });

/**
 * Every successful admin response carries the audit log's head (`Audit-Head: <seq>:<hash>`), so
 * the operator can keep it outside the database and later check, with `authctl audit verify
 * --head`, that the log still reaches it: deleting the newest entries leaves a chain that is
 * valid in itself, and only an outside copy of its head shows the loss.
 */
export function reportAuditHead(app: FastifyInstance, ctx: TokenServiceContext): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode >= 400) return payload;
    try {
      const head = await ctx.store.audit.head();
      if (head !== null) reply.header('audit-head', formatHead(head));
    } catch (error) {
      // The action has happened; failing its response now would only hide that it did. An
      // unreachable database is logged once, as the outage.
      if (!(error instanceof DatabaseUnavailableError)) reply.log.warn({ err: error }, 'audit head unavailable for the response');
    }
    return payload;
  });
}

/** Reading and verifying the hash-chained, HMAC-anchored audit log. */
export async function adminAuditRoutes(app: FastifyInstance, ctx: TokenServiceContext): Promise<void> {
  app.get('/admin/audit', {
    schema: {
      summary: 'Audit entries after a sequence number, oldest first',
      tags: ['admin'], security: [{ admin: [] }],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { after: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, limit: { type: 'integer', minimum: 1, maximum: 1000 }, event: { type: 'string', maxLength: 64 } },
      },
      response: { 200: { type: 'object', properties: { entries: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...problems },
    },
  }, async (request) => {
    const query = request.query as { after?: number; limit?: number; event?: string };
    return { entries: await ctx.store.audit.list({ afterSeq: query.after ?? 0, limit: query.limit ?? 100, ...(query.event ? { event: query.event } : {}) }) };
  });

  app.get('/admin/audit/head', {
    schema: {
      summary: 'The newest audit entry as `<seq>:<hash>` (null while the log is empty): keep it outside the database',
      tags: ['admin'], security: [{ admin: [] }],
      response: { 200: { type: 'object', properties: { head: headSchema } }, ...problems },
    },
  }, async () => ({ head: withText(await ctx.store.audit.head()) }));

  app.get('/admin/audit/verify', {
    schema: {
      summary: 'Recompute the hash chain and check each HMAC; ok is false at the first altered, missing, reordered or forged entry, or when the log no longer reaches `head`',
      tags: ['admin'], security: [{ admin: [] }],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { head: { type: 'string', pattern: HEAD_PATTERN, description: 'a head saved earlier, `<seq>:<hash>`' } },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            ok: { type: 'boolean' }, entries: { type: 'integer' }, hmacFromSeq: { type: 'integer' }, head: headSchema,
            brokenAt: { type: 'integer' }, reason: { type: 'string' },
          },
        },
        ...problems,
      },
    },
  }, async (request) => {
    const given = (request.query as { head?: string }).head;
    const [seq, hash] = given?.split(':') ?? [];
    const result = await ctx.store.audit.verify(given === undefined ? undefined : { seq: Number(seq), hash: hash! });
    return { ...result, head: withText(result.head) };
  });
}
