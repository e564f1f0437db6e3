// passgate's OpenID Connect provider driven by openid-client (a certified relying-party
// library): discovery, code + PKCE (state, nonce, the iss response parameter), the ID
// token's signature checked against the JWKS (by openid-client's non-repudiation checks and
// again with jose), userinfo, refresh, revocation, introspection and RP-initiated logout;
// then a public client (PKCE, EdDSA ID tokens) and a client asking for ES256 ID tokens.
//
// Environment: PASSGATE_URL (the gateway, http://localhost:PORT), PASSGATE_COOKIE (a
// session cookie value made by the Rust test with a passkey), OIDC_CLIENT_ID /
// OIDC_CLIENT_SECRET (a client_secret_basic client whose redirect URI is
// http://localhost:9/cb and post-logout URI http://localhost:9/bye), OIDC_PUBLIC_CLIENT_ID
// (a public client, redirect URI http://localhost:9/spa); the client `es` (the same
// secret, redirect URI http://localhost:9/es, ES256). Exits 0 on success.

import assert from 'node:assert/strict';
import * as client from 'openid-client';
import * as jose from 'jose';

const base = process.env.PASSGATE_URL;
const cookie = `passgate_session=${process.env.PASSGATE_COOKIE}`;
const issuer = new URL(`${base}/.passgate`);

/** Follows the authorization URL as the signed-in browser would: the 302 to the client. */
async function authorize(url) {
  const res = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  assert.equal(res.status, 302, `authorize: ${res.status} ${await res.text()}`);
  return new URL(res.headers.get('location'));
}

async function confidential() {
  const config = await client.discovery(
    issuer,
    process.env.OIDC_CLIENT_ID,
    undefined,
    client.ClientSecretBasic(process.env.OIDC_CLIENT_SECRET),
    { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
  );
  const meta = config.serverMetadata();
  assert.equal(meta.issuer, issuer.href);
  assert.ok(meta.code_challenge_methods_supported.includes('S256'));

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: 'http://localhost:9/cb',
    scope: 'openid profile email groups offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const back = await authorize(url);
  assert.equal(back.searchParams.get('iss'), issuer.href);
  const tokens = await client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  assert.equal(claims.iss, issuer.href);
  assert.equal(claims.aud, process.env.OIDC_CLIENT_ID);
  assert.equal(claims.preferred_username, 'rp-user');
  assert.deepEqual(claims.amr, ['hwk', 'user']);
  assert.ok(tokens.refresh_token, 'a refresh token');

  // The ID token against the published keys, independently of openid-client.
  const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
  const { protectedHeader } = await jose.jwtVerify(tokens.id_token, jwks, {
    issuer: issuer.href,
    audience: process.env.OIDC_CLIENT_ID,
    algorithms: ['RS256'],
  });
  assert.equal(protectedHeader.alg, 'RS256');

  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.email, 'rp-user@example.com');
  assert.deepEqual(info.groups, []);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.equal(refreshed.claims().sub, claims.sub);
  await assert.rejects(
    client.refreshTokenGrant(config, tokens.refresh_token),
    (e) => e.error === 'invalid_grant',
    'a used refresh token is refused',
  );

  // The replay above revoked the grant; a fresh one for revocation and introspection.
  const v2 = client.randomPKCECodeVerifier();
  const t2 = await client.authorizationCodeGrant(
    config,
    await authorize(
      client.buildAuthorizationUrl(config, {
        redirect_uri: 'http://localhost:9/cb',
        scope: 'openid profile',
        code_challenge: await client.calculatePKCECodeChallenge(v2),
        code_challenge_method: 'S256',
      }),
    ),
    { pkceCodeVerifier: v2, idTokenExpected: true },
  );
  const active = await client.tokenIntrospection(config, t2.access_token);
  assert.equal(active.active, true);
  assert.equal(active.sub, claims.sub);
  await client.tokenRevocation(config, t2.refresh_token);
  const gone = await client.tokenIntrospection(config, t2.access_token);
  assert.equal(gone.active, false);

  // Logout last: it ends the session the cookie carries.
  const v3 = client.randomPKCECodeVerifier();
  const t3 = await client.authorizationCodeGrant(
    config,
    await authorize(
      client.buildAuthorizationUrl(config, {
        redirect_uri: 'http://localhost:9/cb',
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(v3),
        code_challenge_method: 'S256',
      }),
    ),
    { pkceCodeVerifier: v3, idTokenExpected: true },
  );
  const out = client.buildEndSessionUrl(config, {
    id_token_hint: t3.id_token,
    post_logout_redirect_uri: 'http://localhost:9/bye',
    state: 'after-logout',
  });
  const res = await fetch(out, { headers: { cookie }, redirect: 'manual' });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), 'http://localhost:9/bye?state=after-logout');
  const after = await client.tokenIntrospection(config, t3.access_token);
  assert.equal(after.active, false, 'tokens end with the session');
}

/** A short code flow for another client: the ID token signed with `alg`. */
async function otherClient(clientId, auth, redirectUri, alg) {
  const config = await client.discovery(issuer, clientId, undefined, auth, {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  });
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const back = await authorize(
    client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
    }),
  );
  const tokens = await client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  const { protectedHeader } = await jose.jwtVerify(tokens.id_token, jwks, {
    issuer: issuer.href,
    audience: clientId,
    algorithms: [alg],
  });
  assert.equal(protectedHeader.alg, alg);
  assert.equal(tokens.claims().email, 'rp-user@example.com');
}

try {
  await otherClient(process.env.OIDC_PUBLIC_CLIENT_ID, client.None(), 'http://localhost:9/spa', 'EdDSA');
  await otherClient('es', client.ClientSecretBasic(process.env.OIDC_CLIENT_SECRET), 'http://localhost:9/es', 'ES256');
  await confidential();
  console.log('oidc-rp: ok');
} catch (e) {
  console.error(e);
  process.exit(1);
}
