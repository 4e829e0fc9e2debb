import type { Plan } from '../plan-types.js';
import { codeSpan } from './markdown-escape.js';

/** The closing line of a plan report: which plan, for which organization, computed when. */
export function planFooter(plan: Plan, planId: string | null): string {
  const id = planId === null ? 'Plan' : `Plan ${codeSpan(planId)}`;
  return `<sub>${id} for ${codeSpan(plan.org)}, computed ${plan.computedAt}, mode ${codeSpan(plan.mode)}.</sub>`;
}
