/**
 * The two ways a fast-path closure leaves without a value (see fast-path.ts). Their own module so
 * the closure helpers in several files share them.
 */

/** Thrown when the runtime values are outside the subset: re-run on cel-js. */
export const BAIL: { readonly bail: true } = Object.freeze({ bail: true as const });
/** Thrown where cel-js raises an evaluation error; absorbed like one, re-run on cel-js if it escapes. */
export const FAST_ERROR: { readonly fastError: true } = Object.freeze({ fastError: true as const });
