import type { Command } from 'commander';
import { AdminApi, globalOptions, output, table } from './connection.js';
import { describeClientRevocation, type ClientRevocation } from './revoke.js';

interface ClientView {
  client_id: string;
  name: string;
  token_endpoint_auth_method: string;
  scopes: string[];
  audiences: string[];
  grant_types: string[];
  disabled: boolean;
  client_secret?: string;
  /** On disable: the tokens it revoked. */
  revoked?: ClientRevocation;
}

const list = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);

function describe(client: ClientView): string {
  const lines = [
    `client_id:   ${client.client_id}`,
    `name:        ${client.name}`,
    `auth method: ${client.token_endpoint_auth_method}`,
    `grants:      ${client.grant_types.join(' ')}`,
    `scopes:      ${client.scopes.join(' ')}`,
    `audiences:   ${client.audiences.join(' ')}`,
    `disabled:    ${client.disabled}`,
  ];
  if (client.client_secret !== undefined) lines.push(`secret:      ${client.client_secret}   (shown once; store it now)`);
  return lines.join('\n');
}

/** `authctl clients`: register, inspect, rotate secrets, disable and delete clients. */
export function register(program: Command): void {
  const clients = program.command('clients').description('OAuth clients');

  clients.command('list').action(async (_o: unknown, command: Command) => {
    const globals = globalOptions(command);
    const result = await (await AdminApi.from(globals)).call<{ clients: ClientView[] }>('GET', '/admin/clients');
    output(globals, result, () => table(result.clients.map((c) => ({ ...c, scopes: c.scopes.join(' ') })) as unknown as Array<Record<string, unknown>>, ['client_id', 'name', 'token_endpoint_auth_method', 'scopes', 'disabled']));
  });

  clients.command('show <clientId>').action(async (clientId: string, _o: unknown, command: Command) => {
    const globals = globalOptions(command);
    const client = await (await AdminApi.from(globals)).call<ClientView>('GET', `/admin/clients/${encodeURIComponent(clientId)}`);
    output(globals, client, () => describe(client));
  });

  clients
    .command('create <name>')
    .requiredOption('--scopes <list>', 'comma-separated scopes the client may request')
    .requiredOption('--audiences <list>', 'comma-separated audiences (APIs) it may get tokens for')
    .option('--client-id <id>', 'choose the client_id instead of a generated one')
    .option('--grants <list>', 'comma-separated grant types', 'client_credentials')
    .option('--auth-method <method>', 'client_secret_basic | client_secret_post | private_key_jwt', 'client_secret_basic')
    .option('--bound-identity <spiffeId>', 'workload identity the client must call from')
    .action(async (name: string, options: { scopes: string; audiences: string; clientId?: string; grants: string; authMethod: string; boundIdentity?: string }, command: Command) => {
      const globals = globalOptions(command);
      const client = await (await AdminApi.from(globals)).call<ClientView>('POST', '/admin/clients', {
        name,
        scopes: list(options.scopes),
        audiences: list(options.audiences),
        grant_types: list(options.grants),
        token_endpoint_auth_method: options.authMethod,
        ...(options.clientId ? { client_id: options.clientId } : {}),
        ...(options.boundIdentity ? { bound_identity: options.boundIdentity } : {}),
      });
      output(globals, client, () => describe(client));
    });

  clients.command('rotate-secret <clientId>').description('issue a new secret; the old one stops working at once').action(async (clientId: string, _o: unknown, command: Command) => {
    const globals = globalOptions(command);
    const client = await (await AdminApi.from(globals)).call<ClientView>('POST', `/admin/clients/${encodeURIComponent(clientId)}/secret`);
    output(globals, client, () => describe(client));
  });

  for (const [verb, disabled, description] of [
    ['disable', true, 'refuse new tokens and revoke every token the client holds'],
    ['enable', false, 'allow new tokens again (tokens revoked on disable stay revoked)'],
  ] as const) {
    clients.command(`${verb} <clientId>`).description(description).action(async (clientId: string, _o: unknown, command: Command) => {
      const globals = globalOptions(command);
      const client = await (await AdminApi.from(globals)).call<ClientView>('PATCH', `/admin/clients/${encodeURIComponent(clientId)}`, { disabled });
      output(globals, client, () => [describe(client), ...(client.revoked ? [describeClientRevocation(clientId, client.revoked)] : [])].join('\n'));
    });
  }

  clients.command('delete <clientId>').description('delete the client and revoke every token it holds').action(async (clientId: string, _o: unknown, command: Command) => {
    const globals = globalOptions(command);
    const result = await (await AdminApi.from(globals)).call<{ client_id: string; revoked: ClientRevocation }>('DELETE', `/admin/clients/${encodeURIComponent(clientId)}`);
    output(globals, result, () => `deleted ${clientId}\n${describeClientRevocation(clientId, result.revoked)}`);
  });
}
