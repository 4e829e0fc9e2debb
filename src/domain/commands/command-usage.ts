/** Markdown that lists every `/copilot` command; replies to `help` and to usage errors end with it. */
export const COMMAND_USAGE = `**\`/copilot\` commands**

| Command | What it does |
|---|---|
| \`/copilot help\` | Shows this help. |
| \`/copilot status\` | Shows the organization's seats: how many are held, added and cancelled by the policy, and what they cost. |
| \`/copilot status @user\` | Shows one user's seat, their last Copilot activity and the policy rules that apply to them. |
| \`/copilot plan\` | Shows what reconciling would change now. Nothing is changed (a dry run). |
| \`/copilot apply\` | Reconciles seats with the policy now and reports what changed. |
| \`/copilot grant @user… [--for 30d] [--reason "…"]\` | Gives the users a seat whatever the policy says, for the given time or until the override is removed. |
| \`/copilot revoke @user… [--for 30d] [--reason "…"]\` | Takes the users' seats away whatever the policy says, for the given time or until the override is removed. |
| \`/copilot report\` | Shows the compliance report: seats held outside the policy, inactive seats, the cap and the budget. |
| \`/copilot request [--reason "…"]\` | Asks for a Copilot seat for yourself. Any organization member may ask; an approver answers. |
| \`/copilot approve @user… [--for 90d] [--reason "…"]\` | Approves the users' seat requests (or gives a member a seat without one): a grant override each, and the seats at once, within the cap and the budget. |
| \`/copilot decline @user [--reason "…"]\` | Declines a user's seat request and tells them. |
| \`/copilot confirm [plan id]\` | Confirms the cancellations a plan held for being over \`safeguards.max_cancellations\` (the newest held plan unless an id is given). CEOS plans again and cancels the held seats that are still due. Organization owners only. |

- Write users as \`@login\`, separated by spaces or commas; several users can be given at once.
- \`--for\` takes a whole number of hours, days or weeks (\`12h\`, \`30d\`, \`2w\`), at most 365 days.
- \`--reason\` takes one word, or several words in quotes: \`--reason "joins the pilot"\`.
- Only organization owners and members of the policy's \`commands.teams\` (child teams included) can use these commands; any member may use \`/copilot request\`.
`;
