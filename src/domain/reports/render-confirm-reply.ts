import { codeSpan, formatLogin, shorten } from './markdown-escape.js';

/** Why a `/copilot confirm` changed nothing, as the confirmation operation says. */
export type ConfirmAnswerInput =
  /** No plan awaits confirmation. */
  | { kind: 'no_held_plan'; org: string }
  /** No plan of the organization has this id. */
  | { kind: 'not_found'; org: string; planId: string }
  /** A newer held plan superseded the one named. */
  | { kind: 'superseded'; org: string; planId: string; newestPlanId: string | null }
  /** The plan holds nothing to confirm. */
  | { kind: 'not_held'; org: string; planId: string; status: string; confirmedBy: string | null };

function quoted(source: string): string {
  return `> ${codeSpan(shorten(source, 300))}`;
}

/** The reply to a `/copilot confirm` that changed nothing. */
export function renderConfirmAnswer(source: string, input: ConfirmAnswerInput): string {
  const org = codeSpan(input.org);
  switch (input.kind) {
    case 'no_held_plan':
      return `${quoted(source)}\n\nℹ️ No plan of ${org} is waiting for confirmation: nothing to confirm, nothing was changed.`;
    case 'not_found':
      return `${quoted(source)}\n\n😕 ${org} has no plan ${codeSpan(input.planId)}. Reply \`/copilot status\` to see the plan awaiting confirmation, if any.`;
    case 'superseded':
      return input.newestPlanId === null
        ? `${quoted(source)}\n\nℹ️ Plan ${codeSpan(input.planId)} was superseded by a newer plan, and no plan is waiting for confirmation now. Nothing was changed.`
        : `${quoted(source)}\n\nℹ️ Plan ${codeSpan(input.planId)} was superseded: the newest plan holding cancellations is ${codeSpan(input.newestPlanId)}. Nothing was changed. Review it with \`/copilot status\`, then reply ${codeSpan(`/copilot confirm ${input.newestPlanId}`)}.`;
    case 'not_held':
      return input.status === 'confirmed'
        ? `${quoted(source)}\n\nℹ️ Plan ${codeSpan(input.planId)} was already confirmed${input.confirmedBy === null ? '' : ` by ${formatLogin(input.confirmedBy)}`}. Nothing was changed.`
        : `${quoted(source)}\n\nℹ️ Plan ${codeSpan(input.planId)} holds no cancellations for confirmation (it is ${codeSpan(input.status)}). Nothing was changed.`;
  }
}

/** The polite reply to someone who may run commands but not confirm held cancellations. */
export function renderConfirmRefusal(source: string, login: string): string {
  return `${quoted(source)}\n\nSorry ${formatLogin(login)}, only organization owners can confirm held cancellations: they take Copilot seats away from many people at once, so CEOS waits for an owner. Nothing was changed. Ask an owner to reply \`/copilot confirm\`.`;
}
