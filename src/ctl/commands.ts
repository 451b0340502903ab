import { register as audit } from './audit.js';
import { register as clients } from './clients.js';
import { addGlobalOptions, type AuthctlProgram } from './connection.js';
import { register as keys } from './keys.js';
import { register as leases } from './leases.js';
import { markRequiredOptions } from './required-options-help.js';
import { register as revoke } from './revoke.js';
import { register as status } from './status.js';
import { register as certs } from './certs.js';
import { register as vault } from './vault.js';

/**
 * Every command group, in runbook order. A new group is a module exporting
 * `register(program)`, added here.
 */
export function registerCommands(program: AuthctlProgram): void {
  markRequiredOptions(program);
  addGlobalOptions(program);
  status(program);
  vault(program);
  leases(program);
  keys(program);
  clients(program);
  revoke(program);
  audit(program);
  certs(program);
}
