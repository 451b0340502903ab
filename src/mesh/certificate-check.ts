import { access } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import { reportCertificateFile, reportPresentedCertificate, type CertificateReport } from './certificate-report.js';

export interface CertificateCheckLine extends Partial<CertificateReport> {
  source: string;
  /** Why this line fails the check; absent when it passes. */
  problem?: string;
}

export interface CertificateCheckOptions {
  files: readonly string[];
  /** `host:port` of services whose presented certificate is checked. */
  endpoints: readonly string[];
  /** Fail a certificate whose not-after is closer than this. */
  withinMs: number;
  /** Our client certificate for the connections: internal listeners refuse a caller without one. */
  clientTls: ConnectionOptions;
  now?: number;
}

/**
 * `authctl certs check`: every certificate in the files and every certificate the services present,
 * each failing when it expires within the threshold, or (presented ones) does not verify against
 * our CA bundle, or cannot be read or reached at all.
 */
export async function checkCertificates(options: CertificateCheckOptions): Promise<{ ok: boolean; lines: CertificateCheckLine[] }> {
  const now = options.now ?? Date.now();
  const lines: CertificateCheckLine[] = [];
  for (const file of options.files) {
    try {
      lines.push(...(await reportCertificateFile(file, now)).map((report) => judged(report, options.withinMs, now)));
    } catch (error) {
      lines.push({ source: file, problem: messageOf(error) });
    }
  }
  for (const endpoint of options.endpoints) {
    const target = parseEndpoint(endpoint);
    if (typeof target === 'string') {
      lines.push({ source: endpoint, problem: target });
      continue;
    }
    try {
      const report = await reportPresentedCertificate(target.host, target.port, options.clientTls);
      const line = judged(report, options.withinMs, now);
      if (line.problem === undefined && report.verification !== 'verified') line.problem = report.verification;
      lines.push(line);
    } catch (error) {
      lines.push({ source: endpoint, problem: messageOf(error) });
    }
  }
  return { ok: lines.every((l) => l.problem === undefined), lines };
}

function judged(report: CertificateReport, withinMs: number, now: number): CertificateCheckLine {
  const left = new Date(report.notAfter).getTime() - now;
  if (left <= 0) return { ...report, problem: 'expired' };
  if (left <= withinMs) return { ...report, problem: `expires within ${Math.ceil(withinMs / 86_400_000)}d` };
  return report;
}

function parseEndpoint(endpoint: string): { host: string; port: number } | string {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(endpoint);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) return 'expected host:port';
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/** The subset of `files` that exist: defaults name every service's files, a machine may hold only some. */
export async function existingFiles(files: readonly string[]): Promise<string[]> {
  const present = await Promise.all(files.map((f) => access(f).then(() => true, () => false)));
  return files.filter((_, i) => present[i]);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
