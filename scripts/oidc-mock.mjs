// A local OpenID Connect provider for tests: oauth2-mock-server (npm) on 127.0.0.1, with the
// checks a real provider makes and that the mock leaves out:
//   - the token request must carry our client id and secret (HTTP Basic or form body) and the
//     same redirect_uri the authorization request had;
//   - the user-info request must carry the bearer token the token endpoint issued.
// The person who "signs in" is fixed per process: OIDC_USERINFO is the user-info answer (JSON).
// PKCE: /authorize refuses a request without an S256 challenge, /token one without a verifier,
// and the mock itself checks that the verifier matches the challenge.
//
// Usage: PORT=0 OIDC_USERINFO='{"sub":"g-1","email":"a@example.com","email_verified":true}' \
//        node scripts/oidc-mock.mjs      → prints "oidc-mock listening on <port>"
import { OAuth2Server } from 'oauth2-mock-server';

const port = Number(process.env.PORT ?? 0);
const clientId = process.env.OIDC_CLIENT_ID ?? 'growthdesk';
const clientSecret = process.env.OIDC_CLIENT_SECRET ?? 'growthdesk-secret';
const userinfo = JSON.parse(
  process.env.OIDC_USERINFO ??
    '{"sub":"oidc-user-1","email":"oidc.user@example.com","email_verified":true,"name":"OIDC User"}',
);

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');

const redirectUris = new Map(); // code → redirect_uri of its authorization request
const issuedTokens = new Set();

server.service.on('beforeAuthorizeRedirect', (redirect, req) => {
  const code = redirect.url.searchParams.get('code');
  // PKCE is required here (the mock alone would accept a client that skips it).
  if (req.query.code_challenge_method !== 'S256') {
    redirect.url.searchParams.delete('code');
    redirect.url.searchParams.set('error', 'invalid_request');
    redirect.url.searchParams.set('error_description', 'PKCE with S256 is required');
    return;
  }
  if (code) redirectUris.set(code, req.query.redirect_uri);
});

function clientCredentials(req) {
  const header = req.headers.authorization ?? '';
  if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString();
    const i = decoded.indexOf(':');
    return [decodeURIComponent(decoded.slice(0, i)), decodeURIComponent(decoded.slice(i + 1))];
  }
  return [req.body?.client_id, req.body?.client_secret];
}

server.service.on('beforeResponse', (response, req) => {
  const [id, secret] = clientCredentials(req);
  if (id !== clientId || secret !== clientSecret) {
    response.statusCode = 401;
    response.body = { error: 'invalid_client' };
    return;
  }
  const code = req.body?.code;
  if (req.body?.grant_type === 'authorization_code' && !req.body?.code_verifier) {
    response.statusCode = 400;
    response.body = { error: 'invalid_request', error_description: 'code_verifier missing' };
    return;
  }
  if (req.body?.grant_type === 'authorization_code') {
    const expected = redirectUris.get(code);
    redirectUris.delete(code);
    if (!expected || expected !== req.body?.redirect_uri) {
      response.statusCode = 400;
      response.body = { error: 'invalid_grant', error_description: 'redirect_uri mismatch' };
      return;
    }
  }
  issuedTokens.add(response.body.access_token);
});

server.service.on('beforeUserinfo', (response, req) => {
  const header = req.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7) : '';
  if (!issuedTokens.has(token)) {
    response.statusCode = 401;
    response.body = { error: 'invalid_token' };
    return;
  }
  response.body = userinfo;
});

await server.start(port, '127.0.0.1');
console.log(`oidc-mock listening on ${server.address().port}`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await server.stop();
    process.exit(0);
  });
}
