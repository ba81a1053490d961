/** Loads the shipped standards catalogues, or fails (exit 2) naming every problem. */
import { STANDARDS_DIR } from '../paths.js';
import { FileProblemsError } from '../rules/problems.js';
import { loadStandards } from '../standards/loader.js';
import type { Standard } from '../standards/types.js';
import { CliError } from './cli-error.js';

export async function loadStandardsOrFail(): Promise<Standard[]> {
  const load = await loadStandards(STANDARDS_DIR);
  if (load.problems.length > 0) throw new CliError(new FileProblemsError('standards catalogues rejected', load.problems).message);
  return load.standards;
}
