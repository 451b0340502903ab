// Types for scripts/build-if-stale.mjs, which test/support/entrypoints.ts shares.
export function newestInputMtime(root?: string): number;
export function buildIsFresh(root?: string): boolean;
export function build(root?: string): boolean;
