import { buildSchema } from 'graphql';
import type { GraphQLSchema } from 'graphql';

/**
 * A faithful subset of GitHub's public GraphQL schema (github.com/octokit/graphql-schema): the same type,
 * field and argument names, nullability and connection shapes, limited to what CEOS reads.
 */
export const GITHUB_SDL = /* GraphQL */ `
  scalar DateTime
  scalar URI

  type Query {
    organization(login: String!): Organization
    rateLimit(dryRun: Boolean = false): RateLimit
  }

  type RateLimit {
    cost: Int!
    limit: Int!
    nodeCount: Int!
    remaining: Int!
    resetAt: DateTime!
    used: Int!
  }

  type PageInfo {
    endCursor: String
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
  }

  type Organization {
    databaseId: Int
    id: ID!
    login: String!
    name: String
    membersWithRole(after: String, before: String, first: Int, last: Int): OrganizationMemberConnection!
    team(slug: String!): Team
    teams(
      after: String
      before: String
      first: Int
      last: Int
      ldapMapped: Boolean
      notificationSetting: TeamNotificationSetting
      orderBy: TeamOrder
      privacy: TeamPrivacy
      query: String
      role: TeamRole
      rootTeamsOnly: Boolean = false
      userLogins: [String!]
    ): TeamConnection!
  }

  type OrganizationMemberConnection {
    edges: [OrganizationMemberEdge]
    nodes: [User]
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type OrganizationMemberEdge {
    cursor: String!
    hasTwoFactorEnabled: Boolean
    node: User
    role: OrganizationMemberRole
  }

  enum OrganizationMemberRole {
    ADMIN
    MEMBER
  }

  type User {
    databaseId: Int
    email: String!
    id: ID!
    login: String!
    name: String
  }

  type Team {
    childTeams(
      after: String
      before: String
      first: Int
      immediateOnly: Boolean = true
      last: Int
      orderBy: TeamOrder
      userLogins: [String!]
    ): TeamConnection!
    combinedSlug: String!
    databaseId: Int
    description: String
    id: ID!
    members(
      after: String
      before: String
      first: Int
      last: Int
      membership: TeamMembershipType = ALL
      orderBy: TeamMemberOrder
      query: String
      role: TeamMemberRole
    ): TeamMemberConnection!
    name: String!
    organization: Organization!
    parentTeam: Team
    privacy: TeamPrivacy!
    slug: String!
  }

  type TeamConnection {
    edges: [TeamEdge]
    nodes: [Team]
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type TeamEdge {
    cursor: String!
    node: Team
  }

  type TeamMemberConnection {
    edges: [TeamMemberEdge]
    nodes: [User]
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type TeamMemberEdge {
    cursor: String!
    memberAccessResourcePath: URI!
    memberAccessUrl: URI!
    node: User!
    role: TeamMemberRole!
  }

  enum TeamMembershipType {
    ALL
    CHILD_TEAM
    IMMEDIATE
  }

  enum TeamMemberRole {
    MAINTAINER
    MEMBER
  }

  enum TeamNotificationSetting {
    NOTIFICATIONS_DISABLED
    NOTIFICATIONS_ENABLED
  }

  enum TeamPrivacy {
    SECRET
    VISIBLE
  }

  enum TeamRole {
    ADMIN
    MEMBER
  }

  enum OrderDirection {
    ASC
    DESC
  }

  enum TeamOrderField {
    NAME
  }

  input TeamOrder {
    direction: OrderDirection!
    field: TeamOrderField!
  }

  enum TeamMemberOrderField {
    CREATED_AT
    LOGIN
  }

  input TeamMemberOrder {
    direction: OrderDirection!
    field: TeamMemberOrderField!
  }
`;

let schema: GraphQLSchema | undefined;

/** The executable schema, built once per process. Resolvers are methods on the root and model objects. */
export function githubGraphqlSchema(): GraphQLSchema {
  schema ??= buildSchema(GITHUB_SDL);
  return schema;
}
