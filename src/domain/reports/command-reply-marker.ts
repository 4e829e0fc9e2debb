/**
 * Room kept free in every command reply for its marker, so a reply cut to GitHub's comment limit
 * still fits once marked.
 */
export const COMMAND_MARKER_ROOM = 80;

/** The hidden line that ties a reply comment to the command it answers (HTML comments are not shown). */
export function commandReplyMarker(commandId: string): string {
  return `<!-- ceos:command:${commandId} -->`;
}

/** A reply body with its command's marker at the end. */
export function withCommandMarker(body: string, commandId: string): string {
  return `${body}\n\n${commandReplyMarker(commandId)}`;
}
