export { VaultStandin, type StandinOptions } from './standin.js';
export type { StandinAuthOptions } from './auth-routes.js';
export type { DatabaseRole } from './state.js';
export { loadPolicyFiles, type Policy } from './policies.js';
