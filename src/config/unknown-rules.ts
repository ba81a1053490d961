/**
 * Rule ids and categories named by the configuration that no loaded rule has. The loader cannot
 * tell (it does not know the rule set); the server calls this once rules are loaded and refuses a
 * configuration that names a rule that does not exist: a misspelt `rules:` key would otherwise
 * silently leave the real rule un-pinned.
 */
import type { FileProblem } from '../rules/problems.js';
import { fieldName } from '../rules/problems.js';
import { didYouMean } from './suggest.js';
import type { PalisadeConfig } from './types.js';

export function unknownRuleProblems(config: PalisadeConfig, knownIds: Iterable<string>, knownCategories: Iterable<string>): FileProblem[] {
  const ids = new Set(knownIds);
  const categories = new Set(knownCategories);
  const file = config.file ?? 'configuration';
  const problem = (path: (string | number)[], message: string): FileProblem => {
    const field = fieldName(path);
    return { file, line: config.lines?.[field] ?? 0, field, message };
  };
  const problems: FileProblem[] = [];
  for (const id of Object.keys(config.policy.rules)) {
    if (!ids.has(id)) problems.push(problem(['rules', id], `no loaded rule has this id${didYouMean(id, ids)}`));
  }
  config.admission.mutation.rules.forEach((id, index) => {
    if (!ids.has(id)) problems.push(problem(['admission', 'mutation', 'rules', index], `no loaded rule has the id "${id}"${didYouMean(id, ids)}`));
  });
  config.policy.disabledCategories.forEach((category, index) => {
    if (categories.has(category)) return;
    const known = [...categories].sort().join(', ');
    const message = `no loaded rule has the category "${category}"${didYouMean(category, categories)}; categories: ${known || 'none'}`;
    problems.push(problem(['disabledCategories', index], message));
  });
  return problems.sort((a, b) => a.line - b.line);
}
