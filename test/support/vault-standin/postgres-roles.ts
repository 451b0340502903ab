import pg from 'pg';

/**
 * What Vault's PostgreSQL database plugin does to the server, done for real: creation
 * statements with `{{name}}`, `{{password}}` and `{{expiration}}`, renewal moving VALID UNTIL,
 * and revocation that ends the role's sessions and drops it, so a revoked credential stops
 * working in PostgreSQL exactly as it would under Vault.
 */
export class PostgresRoles {
  constructor(private readonly adminUrl: string) {}

  async create(statements: readonly string[], name: string, password: string, expiresAt: Date): Promise<void> {
    await this.run(statements.map((s) => fill(s, name, password, expiresAt)));
  }

  async extend(name: string, expiresAt: Date): Promise<void> {
    await this.run([`ALTER ROLE ${ident(name)} VALID UNTIL '${expiresAt.toISOString()}'`]);
  }

  async drop(name: string): Promise<void> {
    if (!(await this.exists(name))) return;
    await this.run([
      `ALTER ROLE ${ident(name)} NOLOGIN`,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${name.replace(/'/g, "''")}'`,
      `REASSIGN OWNED BY ${ident(name)} TO CURRENT_USER`,
      `DROP OWNED BY ${ident(name)}`,
      `DROP ROLE IF EXISTS ${ident(name)}`,
    ]);
  }

  async exists(name: string): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.adminUrl });
    await client.connect();
    try {
      return (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1 AND rolcanlogin', [name])).rowCount === 1;
    } finally {
      await client.end();
    }
  }

  private async run(statements: readonly string[]): Promise<void> {
    const client = new pg.Client({ connectionString: this.adminUrl });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  }
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function fill(statement: string, name: string, password: string, expiresAt: Date): string {
  return statement
    .replaceAll('{{name}}', name)
    .replaceAll('{{username}}', name)
    .replaceAll('{{password}}', password)
    .replaceAll('{{expiration}}', expiresAt.toISOString());
}
