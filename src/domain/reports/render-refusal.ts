import { formatLogin, formatTeam } from './markdown-escape.js';

/** Who was refused, and who could have run the command. */
export interface RefusalInput {
  /** The commenter. */
  login: string;
  /** The policy's `commands.teams`. */
  commandTeams: readonly string[];
}

/** The polite reply to someone who may not use `/copilot` commands. */
export function renderRefusal(input: RefusalInput): string {
  const teams = input.commandTeams.map(formatTeam);
  const who =
    teams.length === 0
      ? 'organization owners'
      : `organization owners and members of ${teams.length === 1 ? 'the team' : 'the teams'} ${joinWords(teams)} (child teams included)`;
  return `Sorry ${formatLogin(input.login)}, only ${who} can use \`/copilot\` commands here, so this comment was not acted on. Ask one of them to run it for you.`;
}

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1] ?? ''}`;
}
