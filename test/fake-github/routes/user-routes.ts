import { errorResult } from '../github-errors.js';
import { linkHeaders, pageSlice } from '../pagination.js';
import { organizationSimple, simpleUser } from '../rest-shapes.js';
import type { RouteContext, RouteResult, RouteTable } from '../route-types.js';

/** The `/user` endpoints answer only a user access token (from the OAuth web flow). */
function userLogin(context: RouteContext): string | RouteResult {
  if (context.caller.kind !== 'user') return errorResult(403, 'Resource not accessible by integration');
  return context.caller.login;
}

/** Endpoints of the signed-in user: who they are, and their organization memberships. */
export const userRoutes: RouteTable = {
  'users/get-authenticated': (context) => {
    const login = userLogin(context);
    if (typeof login !== 'string') return login;
    const account = context.state.users.ensure(login);
    const at = context.now.toISOString();
    return {
      status: 200,
      body: {
        ...simpleUser(account, context.apiUrl),
        user_view_type: 'public',
        name: null,
        company: null,
        blog: '',
        location: null,
        email: null,
        hireable: null,
        bio: null,
        public_repos: 0,
        public_gists: 0,
        followers: 0,
        following: 0,
        created_at: at,
        updated_at: at,
      },
    };
  },

  'orgs/list-memberships-for-authenticated-user': (context) => {
    const login = userLogin(context);
    if (typeof login !== 'string') return login;
    // Every membership the fake has is active; `state=pending` therefore lists none.
    const wanted = context.query.get('state');
    const memberships = wanted === 'pending' ? [] : [...context.state.orgs.values()].flatMap((org) => {
      const member = org.member(login);
      return member === undefined ? [] : [{ org, member }];
    });
    const page = pageSlice(memberships.length, context.query, `${context.apiUrl}/user/memberships/orgs`, 30);
    return {
      status: 200,
      headers: linkHeaders(page),
      body: memberships.slice(page.start, page.end).map(({ org, member }) => ({
        url: `${context.apiUrl}/orgs/${org.login}/memberships/${member.user.login}`,
        state: 'active',
        role: member.role,
        organization_url: `${context.apiUrl}/orgs/${org.login}`,
        organization: organizationSimple(org.account, context.apiUrl),
        user: simpleUser(member.user, context.apiUrl),
      })),
    };
  },
};
