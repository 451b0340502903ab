import { HttpProblem } from '../platform/index.js';
import { BearerCredential } from './bearer-credential.js';

/**
 * The edges' bearer credential for the revocation feed. It opens the feed and nothing else: the
 * admin API refuses it, and the feed refuses the admin token, so no edge needs to hold admin.
 */
export class RevocationFeedCredential extends BearerCredential {
  protected refusal(): HttpProblem {
    return new HttpProblem(401, 'revocation_feed_unauthorized', 'Revocation feed credential required', 'send the revocation feed token as a Bearer credential', {
      'www-authenticate': 'Bearer realm="revocation-feed"',
    });
  }
}
