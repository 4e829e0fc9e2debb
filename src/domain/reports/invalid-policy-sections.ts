import type { PolicyError } from '../policy/parse-policy.js';
import type { SummarySection } from './fit-summary.js';
import { plural } from './format-values.js';
import { codeSpan } from './markdown-escape.js';
import { policyProblemsTable } from './render-policy-check.js';

/** A policy file that is there but does not validate, as a report names it. */
export interface InvalidPolicy {
  /** Every problem found, located in the file. */
  errors: readonly PolicyError[];
  /** Path of the file in the policy repository. */
  path: string;
  /** The commit reported on (a check run's head), when known. */
  commitSha?: string | null;
  /** Blob sha of the file as read, when the commit is not known. */
  blobSha?: string | null;
}

/** Where the invalid file is: `path` at commit `abc1234` (or at version `…` of the file). */
function located(invalid: InvalidPolicy): string {
  if (invalid.commitSha) return `${codeSpan(invalid.path)} at commit ${codeSpan(invalid.commitSha.slice(0, 7))}`;
  if (invalid.blobSha) return `${codeSpan(invalid.path)} (file version ${codeSpan(invalid.blobSha.slice(0, 7))})`;
  return codeSpan(invalid.path);
}

/** The sentence that says the policy is invalid and that nothing is changed until it is fixed. */
export function invalidPolicyLine(invalid: InvalidPolicy): string {
  return `❌ **Invalid policy**: ${located(invalid)} on the default branch is not a valid policy (${plural(invalid.errors.length, 'problem')}). CEOS changes no seats until it is fixed.`;
}

/** The invalid-policy sentence and the table of its problems, each with its line. */
export function invalidPolicySections(invalid: InvalidPolicy): SummarySection[] {
  return [{ kind: 'text', markdown: invalidPolicyLine(invalid) }, policyProblemsTable(invalid.errors)];
}
