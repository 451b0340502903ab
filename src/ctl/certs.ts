import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import { SERVICE_ACCOUNTS, parseDuration, type MeshConfig } from '../platform/index.js';
import {
  certificateFiles,
  checkCertificates,
  clientTlsOptions,
  existingFiles,
  loadCertificateMaterial,
  writeDevelopmentCertificates,
  type CertificateCheckLine,
} from '../mesh/index.js';
import { globalOptions } from './connection.js';

const ALL_SERVICES = Object.values(SERVICE_ACCOUNTS);

/** Runbook "mTLS Handshake Failures": local development certificates, and our `linkerd check --proxy`. */
export function register(program: Command): void {
  const certs = program.command('certs').description('Service certificates: issue development ones, check expiry of files and of what services present');

  certs
    .command('issue')
    .description('Make a development CA and per-service certificates (SPIFFE IDs, ECDSA P-256) so local mTLS works')
    .option('--dir <dir>', 'output directory (default: MESH_CERT_DIR, else AUTH_DATA_DIR/certs)')
    .option('--services <names>', 'comma-separated service accounts', ALL_SERVICES.join(','))
    .option('--trust-domain <domain>', 'SPIFFE trust domain (default: MESH_TRUST_DOMAIN)')
    .option('--namespace <ns>', 'namespace in the SPIFFE IDs (default: MESH_NAMESPACE)')
    .option('--days <n>', 'validity of the service certificates in days', '90')
    .option('--new-ca', 'replace the CA in the directory instead of reusing it')
    .action(async (options: { dir?: string; services: string; trustDomain?: string; namespace?: string; days: string; newCa?: boolean }, command: Command) => {
      const { mesh } = globalOptions(command).config;
      const days = Number(options.days);
      if (!Number.isInteger(days) || days < 1) throw new Error('--days must be a whole number of days, at least 1');
      const written = await writeDevelopmentCertificates({
        dir: options.dir ?? mesh.certDir,
        trustDomain: options.trustDomain ?? mesh.trustDomain,
        namespace: options.namespace ?? mesh.namespace,
        serviceAccounts: options.services.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
        validityDays: days,
        newCa: options.newCa ?? false,
      });
      process.stdout.write(`CA bundle  ${written.ca}\n`);
      for (const issued of written.issued) process.stdout.write(`${issued.spiffeId}\n  cert ${issued.certFile}\n  key  ${issued.keyFile} (0600)\n`);
    });

  certs
    .command('check')
    .description('Report subject, SPIFFE ID, not-after and days left of the configured certificates and of those services present; exit 1 when one expires within the threshold')
    .option('--within <duration>', 'fail when a certificate expires within this (e.g. 7d, 12h)', '7d')
    .option('--file <path...>', 'certificate files to check (default: the configured files of every service and the CA bundle)')
    .option('--connect <host:port...>', 'services whose presented certificate to check')
    .option('--as <service-account>', 'whose client certificate to present when connecting', SERVICE_ACCOUNTS.ctl)
    .action(async (options: { within: string; file?: string[]; connect?: string[]; as: string }, command: Command) => {
      // --json is the program's (one JSON object per line here), wherever it is written on the line.
      const globals = globalOptions(command);
      const withinMs = parseDuration(options.within);
      if (withinMs === undefined) throw new Error(`--within must be a duration such as 7d or 12h (got ${JSON.stringify(options.within)})`);
      const { mesh } = globals.config;
      const files = options.file ?? (await existingFiles(configuredFiles(mesh)));
      const endpoints = options.connect ?? [];
      if (files.length === 0 && endpoints.length === 0) throw new Error(`no certificate files found (MESH_CERT_DIR=${mesh.certDir}); pass --file or --connect`);
      const result = await checkCertificates({ files, endpoints, withinMs, clientTls: await clientCertificate(mesh, options.as) });
      process.stdout.write(globals.json ? result.lines.map((l) => JSON.stringify(l)).join('\n') + '\n' : table(result.lines));
      if (!result.ok) process.exitCode = 1;
    });
}

/** Every service's certificate file and the CA bundle, as the services find them; `authctl status` checks them too. */
export function configuredFiles(mesh: MeshConfig): string[] {
  const files = ALL_SERVICES.map((sa) => certificateFiles(mesh, sa));
  return [...new Set([...files.map((f) => f.cert), ...files.map((f) => f.ca)])];
}

async function clientCertificate(mesh: MeshConfig, serviceAccount: string): Promise<ConnectionOptions> {
  const files = certificateFiles(mesh, serviceAccount);
  try {
    return clientTlsOptions(await loadCertificateMaterial(files));
  } catch (error) {
    process.stderr.write(`authctl: connecting without a client certificate (${error instanceof Error ? error.message : String(error)}); internal listeners will refuse the handshake\n`);
    return { ca: await readFile(files.ca).catch(() => undefined) };
  }
}

function table(lines: CertificateCheckLine[]): string {
  const rows = [
    ['SOURCE', 'SUBJECT', 'SPIFFE ID', 'NOT AFTER', 'DAYS LEFT', 'STATUS'],
    ...lines.map((l) => [l.source, l.subject ?? '-', l.spiffeId ?? '-', l.notAfter ?? '-', l.daysLeft === undefined ? '-' : String(l.daysLeft), l.problem ?? 'ok']),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n';
}
