// A real OpenID Connect provider (`oidc-provider`, ESM-only) for the single sign-on tests, run as its own
// process so jest (CommonJS) never loads it. Usage:
//   node test/support/oidc-provider.mjs <port> <client_id> <client_secret> <redirect_uri>
// Prints `ready <issuer>` on stdout when listening on 127.0.0.1:<port>. Any login name signs in (the
// provider's development login and consent pages); the login name is the subject (sub).
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri],
    grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  cookies: { keys: ['a test-only cookie key of the provider'] },
});
// The development pages warn on every start; the tests read stdout for `ready` only.
provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error', err));
provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
process.on('SIGTERM', () => process.exit(0));
