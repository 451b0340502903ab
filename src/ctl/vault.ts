import type { Command } from 'commander';
import { EnvReader } from '../platform/index.js';
import { VaultClient, VaultHttp, type SealStatus } from '../secrets/index.js';
import { globalOptions, platformEndpoints } from './connection.js';
import { askBoth, describeSecretsView, readSecretsView } from './secrets-view.js';

/**
 * `authctl vault …`: the runbook's "Vault Sealed" and "Vault Unavailable" steps as our commands.
 * `vault status` shows how our services see Vault (state, grace left) whether or not Vault
 * answers, and Vault's seal state when it does; `vault unseal` takes one key share per call
 * (3 of the 5 unseal Vault). Vault is found as the `vault` CLI finds it: VAULT_ADDR,
 * VAULT_TOKEN, VAULT_CACERT, VAULT_NAMESPACE.
 */
export function register(program: Command): void {
  const vault = program.command('vault').description('Vault seal status and unseal (runbook: Vault Sealed)');

  vault
    .command('status')
    .description("Vault's seal status and health when it answers, and each service's own view (state, grace left) whatever Vault's state")
    .action(async (_options: unknown, command: Command) => {
      const globals = globalOptions(command);
      const endpoints = await platformEndpoints(globals);
      // The services first: in an outage their view (how much grace is left) is what matters.
      const services = await askBoth(readSecretsView(endpoints.tokenService), readSecretsView(endpoints.edge));
      const addr = vaultAddrFromEnv();
      const vault = await vaultView(addr);
      print(globals.json, { vault, services }, () => [
        ...(vault.reachable
          ? [`Vault at ${addr}`, renderSeal(vault), `Health        ${vault.healthStatus} (${healthMeaning(vault.healthStatus)})`]
          : [`Vault at ${addr}: unreachable (${vault.error})`]),
        '',
        "Each service's view (from its /readyz):",
        ...Object.entries(services).map(([name, view]) => `${name.padEnd(18)} ${describeSecretsView(view)}`),
      ].join('\n'));
      // Like `vault status`: 2 when sealed, so scripts can wait on it; 1 when Vault does not answer.
      if (!vault.reachable) process.exitCode = 1;
      else if (vault.sealed) process.exitCode = 2;
    });

  vault
    .command('unseal')
    .description('submit one unseal key share (run it with 3 of the 5 keys); prompts without echo unless --key is given')
    .option('--key <share>', 'the key share (visible in shell history: prefer the prompt)')
    .option('--reset', 'discard the shares submitted so far')
    .action(async (options: { key?: string; reset?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<{ json?: boolean }>();
      const client = vaultClientFromEnv();
      try {
        const status = options.reset
          ? await client.unsealReset()
          : await client.unseal(options.key ?? (await promptHidden('Unseal key share (will be hidden): ')));
        print(globals.json, status, () =>
          status.sealed
            ? `${renderSeal(status)}\nVault is still sealed: submit ${status.threshold - status.progress} more key share(s).`
            : `${renderSeal(status)}\nVault is unsealed. Check that the services reconnected: authctl vault status`,
        );
      } finally {
        await client.close();
      }
    });
}

type VaultView = { reachable: true; healthStatus: number; standby: boolean } & SealStatus | { reachable: false; error: string };

/** Seal status and health, or why Vault did not answer. */
async function vaultView(addr: string): Promise<VaultView> {
  const client = vaultClientFromEnv();
  try {
    const seal = await client.sealStatus();
    const health = await client.health();
    return { reachable: true, ...seal, healthStatus: health.status, standby: health.standby };
  } catch (error) {
    return { reachable: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.close();
  }
}

const DEFAULT_VAULT_ADDR = 'http://127.0.0.1:8200';

/** VAULT_ADDR as the `vault` CLI reads it (checked when the client is built). */
export function vaultAddrFromEnv(env: Record<string, string | undefined> = process.env): string {
  return env.VAULT_ADDR ?? DEFAULT_VAULT_ADDR;
}

/** A Vault client configured from the environment, as the `vault` CLI is. */
export function vaultClientFromEnv(env: Record<string, string | undefined> = process.env): VaultClient {
  const reader = new EnvReader(env);
  const addr = reader.url('VAULT_ADDR', DEFAULT_VAULT_ADDR);
  const token = reader.string('VAULT_TOKEN');
  const caCertFile = reader.string('VAULT_CACERT');
  const namespace = reader.string('VAULT_NAMESPACE');
  reader.finish();
  const http = new VaultHttp({ addr: addr ?? '', caCertFile, namespace, timeoutMs: 10_000 });
  return new VaultClient(http, { token: () => token, reauthenticate: async () => false });
}

export function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write((json ? JSON.stringify(value, null, 2) : human()) + '\n');
}

function renderSeal(seal: SealStatus): string {
  return [
    `Seal Type     ${seal.type}`,
    `Initialized   ${seal.initialized}`,
    `Sealed        ${seal.sealed}`,
    `Total Shares  ${seal.shares}`,
    `Threshold     ${seal.threshold}`,
    ...(seal.sealed ? [`Unseal Progress ${seal.progress}/${seal.threshold}`] : []),
    `Version       ${seal.version}`,
  ].join('\n');
}

function healthMeaning(status: number): string {
  const meanings: Record<number, string> = {
    200: 'active', 429: 'standby', 472: 'DR secondary', 473: 'performance standby', 474: 'standby, cannot reach the active node', 501: 'not initialised', 503: 'sealed',
  };
  return meanings[status] ?? 'unexpected';
}

/** Reads a line from the terminal without echoing it; from stdin when it is not a terminal. */
async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0]?.trim() ?? '';
    if (line === '') throw new Error('no unseal key given: pass --key or type it at the prompt');
    return line;
  }
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          finish();
          if (typed === '') reject(new Error('no unseal key given'));
          else resolve(typed);
          return;
        }
        if (char === '\u0003') {
          finish();
          reject(new Error('interrupted'));
          return;
        }
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    };
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
