/**
 * Where the files that ship with Palisade live. This module sits one level below the package root
 * both as source (src/) and compiled (dist/), so the same relative URL works for both.
 */
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BUILTIN_RULES_DIR = fileURLToPath(new URL('../rules/', import.meta.url));
export const STANDARDS_DIR = fileURLToPath(new URL('../standards/', import.meta.url));
