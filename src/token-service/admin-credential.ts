import { HttpProblem } from '../platform/index.js';
import { BearerCredential } from './bearer-credential.js';

/** The operator's bearer credential for the admin API and the internal issue API. */
export class AdminCredential extends BearerCredential {
  protected refusal(): HttpProblem {
    return new HttpProblem(401, 'admin_unauthorized', 'Admin credential required', 'send the admin token as a Bearer credential', {
      'www-authenticate': 'Bearer realm="admin"',
    });
  }
}
