// A real OpenID provider (oidc-provider) on loopback for the sign-in tests.
//
// node server.mjs CONFIG.json: the config names the port, the client, the signing key
// (a private JWK the test made, so that it knows the provider's key) and a file of
// accounts ({"alice": {"email": ..., "groups": [...]}}), read again at each sign-in so
// a test can change a user's groups between two sign-ins.
//
// The login page is oidc-provider's development one (any password); consent is granted
// for our one client. POST /_test/twist {"claims": {...}} makes the next token response
// carry an ID token re-signed with those claims changed (a wrong issuer, audience, nonce,
// an expired token): what a broken or hostile provider would send.
import { readFileSync } from 'node:fs';

import { SignJWT, decodeJwt, importJWK } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = () => JSON.parse(readFileSync(config.accounts, 'utf8'));
let twist = null;

const provider = new Provider(issuer, {
  clients: [config.client],
  jwks: { keys: [config.key] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  cookies: { keys: ['test-only-cookie-key'] },
  async findAccount(ctx, id) {
    const account = accounts()[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email_verified: true, ...account };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;
// Why a request was refused, in the provider's log (the tests print it when they fail).
for (const event of ['end_session.error', 'authorization.error', 'grant.error']) {
  provider.on(event, (ctx, error) => {
    process.stdout.write(`${event}: ${error.message} ${error.error_description || ''} ${error.cause || ''}\n`);
  });
}

const signingKey = await importJWK(config.key, 'RS256');

provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/_test/twist') {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    twist = JSON.parse(Buffer.concat(chunks).toString() || 'null');
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.path === '/token' && twist && ctx.body && ctx.body.id_token) {
    const claims = { ...decodeJwt(ctx.body.id_token), ...twist.claims };
    ctx.body = {
      ...ctx.body,
      id_token: await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: config.key.kid })
        .sign(signingKey),
    };
    twist = null;
  }
});

provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
