/**
 * `introspection_audiences`: the audiences a client serves as a resource server. Introspection
 * (RFC 7662) answers a client about its own tokens and about tokens for these audiences only; the
 * default, none, leaves every existing client with its own tokens.
 */
export const clientIntrospectionAudiences = `
ALTER TABLE clients ADD COLUMN introspection_audiences text[] NOT NULL DEFAULT '{}';
`;
