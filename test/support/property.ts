import fc from 'fast-check';

/** The seed CI runs with: the same cases on every run, so a red build is reproducible and a green one stays green. */
const CI_SEED = 20_261_202;

function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

/**
 * FUZZ_SEED replays a failure; CI (CI=true) runs a fixed seed; a local run draws a new one each
 * time, so local runs keep exploring cases CI never tries.
 */
export function chooseSeed(env: NodeJS.ProcessEnv): number {
  const given = env.FUZZ_SEED?.trim();
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 31) throw new Error(`FUZZ_SEED must be a 32-bit integer (got ${JSON.stringify(given)})`);
    return seed;
  }
  return isCi(env) ? CI_SEED : (Math.random() * 2 ** 31) | 0;
}

/** One seed for every property in this test process. */
export const PROPERTY_SEED = chooseSeed(process.env);

/**
 * `fc.assert` under the seed policy above. A failure names the seed and how to replay it; fast-check's
 * own report (counterexample, path) follows.
 */
export async function assertProperty<Ts>(property: fc.IRawProperty<Ts>, params: Omit<fc.Parameters<Ts>, 'seed'> = {}): Promise<void> {
  try {
    await fc.assert(property, { ...params, seed: PROPERTY_SEED });
  } catch (error) {
    const report = error instanceof Error ? error.message : String(error);
    throw new Error(`property failed with seed ${PROPERTY_SEED}; replay with FUZZ_SEED=${PROPERTY_SEED} node scripts/run-tests.mjs <this file>\n${report}`, { cause: error });
  }
}
