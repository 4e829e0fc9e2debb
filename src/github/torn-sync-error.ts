/** Which listing came back torn. */
export type TornListing = 'members' | 'teams' | 'team_members' | 'seats';

/**
 * A full read of an organization came back with fewer rows than GitHub itself counted
 * (`totalCount`, `total_seats`): people were skipped, and planning from it could cancel the seat
 * of someone who is still there. The run that gets it fails and retries; it never plans.
 */
export class TornSyncError extends Error {
  override readonly name = 'TornSyncError';

  constructor(
    /** Organization login. */
    readonly org: string,
    /** The listing that came back short. */
    readonly listing: TornListing,
    /** How many rows GitHub said there are. */
    readonly expected: number,
    /** How many usable rows came back. */
    readonly received: number,
    /** The team, for `team_members`. */
    readonly team: string | null = null,
  ) {
    super(
      `torn sync of ${org}: GitHub counted ${expected} ${describe(listing, team)} but listed ${received} usable ones; ` +
        'nothing is planned from it and the run is retried',
    );
  }
}

function describe(listing: TornListing, team: string | null): string {
  if (listing === 'team_members') return `direct members of team ${team ?? '?'}`;
  if (listing === 'seats') return 'Copilot seats';
  return listing;
}
