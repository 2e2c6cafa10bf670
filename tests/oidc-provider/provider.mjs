// A real OpenID provider (panva/oidc-provider) on loopback, for the c981-oidc integration tests.
// Test use only: no passwords, in-memory storage, a signing key made at start. See README.md.
//
//   node provider.mjs [PORT]        PORT (or env C981_OIDC_PORT), default 0 = ephemeral
//
// Prints one JSON line on stdout once it listens: {"issuer":"http://127.0.0.1:PORT"}
// (other lines, such as the library's notices, may come before or after it).

import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider, { errors } from 'oidc-provider';

const HOST = '127.0.0.1';
const port = Number.parseInt(process.argv[2] ?? process.env.C981_OIDC_PORT ?? '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid port: ${process.argv[2] ?? process.env.C981_OIDC_PORT}`);
  process.exit(2);
}

// Redirect URIs of every client: C981_REDIRECT_URIS (comma separated) when given; otherwise any
// http URI on a loopback host (127.0.0.1, localhost, [::1]) with any port and path is accepted.
const configuredRedirects = (process.env.C981_REDIRECT_URIS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const permissiveLoopback = configuredRedirects.length === 0;
const redirectUris = permissiveLoopback ? ['http://127.0.0.1/callback'] : configuredRedirects;

// Test accounts: any login name made of [a-z0-9._-] is accepted without a password; these have groups.
const GROUPS = {
  alice: ['c981-engineers-LYO'],
  bob: ['c981-admins'],
  carol: ['c981-auditors', 'c981-engineers-LYO'],
};
const LOGIN_RE = /^[a-z][a-z0-9._-]{0,63}$/;

function account(id) {
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: `${id}@example.test`,
        email_verified: true,
        name: `${id.charAt(0).toUpperCase()}${id.slice(1)} Test`,
        preferred_username: id,
        groups: GROUPS[id] ?? [],
      };
    },
  };
}

// The RS256 signing key, made at start: no key material is kept in the repository.
// It is generated as PEM and re-imported before the JWK export: exporting the generated
// KeyObject itself can deadlock in Node 20 when a garbage collection runs during the export
// (seen here as an occasional hang at start).
const { privateKey: privatePem } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const signingKey = {
  ...createPrivateKey(privatePem).export({ format: 'jwk' }),
  kid: `k-${randomBytes(6).toString('hex')}`,
  alg: 'RS256',
  use: 'sig',
};

const common = {
  redirect_uris: redirectUris,
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'client_secret_basic',
  require_auth_time: true,
};

const server = createServer();
server.listen(port, HOST, () => {
  const issuer = `http://${HOST}:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients: [
      { ...common, client_id: 'c981', client_secret: 'c981-test-secret' },
      { ...common, client_id: 'c981-other', client_secret: 'c981-other-secret' },
      // Its ID tokens are re-issued unsigned (alg "none"): see the token middleware below.
      { ...common, client_id: 'c981-none', client_secret: 'c981-none-secret' },
    ],
    jwks: { keys: [signingKey] },
    findAccount: (_ctx, id) => (LOGIN_RE.test(id) ? account(id) : undefined),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username', 'groups'],
      groups: ['groups'],
    },
    // The claims of the granted scopes go into the ID token (not only to the userinfo endpoint).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    ttl: { IdToken: 3600, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });

  if (permissiveLoopback) {
    const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);
    provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
      try {
        const url = new URL(value);
        return url.protocol === 'http:' && loopback.has(url.hostname) && url.hash === '';
      } catch {
        return false;
      }
    };
  }

  // Client c981-none: its ID token is replaced by an unsigned one (header alg "none", empty
  // signature) with the same claims, as a misconfigured or hostile provider would send it.
  // oidc-provider 9 no longer signs with "none" itself.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.status === 200 && ctx.oidc?.client?.clientId === 'c981-none' && ctx.body?.id_token) {
      const payload = ctx.body.id_token.split('.')[1];
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      ctx.body = { ...ctx.body, id_token: `${header}.${payload}.` };
    }
  });

  // Minimal interactions, easy to drive from an HTTP client (keep the cookies):
  //   GET  /interaction/:uid          -> JSON {"uid","prompt":"login"|"consent","client_id","missing"}
  //   POST /interaction/:uid/login    form login=<name>  -> 303 back to the authorization endpoint
  //   POST /interaction/:uid/consent  (no body)           -> 303 back to the authorization endpoint
  //   POST /interaction/:uid/abort                        -> 303, ends with error=access_denied
  provider.use(async (ctx, next) => {
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|consent|abort))?$/.exec(ctx.path);
    if (!m) {
      await next();
      return;
    }
    const action = m[2];
    ctx.set('cache-control', 'no-store');
    try {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      if (details.uid !== m[1]) {
        ctx.status = 400;
        ctx.body = { error: 'interaction_mismatch' };
        return;
      }
      const { prompt, params, session, grantId } = details;
      if (ctx.method === 'GET' && action === undefined) {
        ctx.body = { uid: details.uid, prompt: prompt.name, client_id: params.client_id, missing: prompt.details };
        return;
      }
      if (ctx.method !== 'POST' || action === undefined) {
        ctx.status = 405;
        ctx.body = { error: 'method_not_allowed' };
        return;
      }
      let result;
      let merge = false;
      if (action === 'abort') {
        result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
      } else if (action === 'login') {
        if (prompt.name !== 'login') {
          ctx.status = 400;
          ctx.body = { error: 'not_a_login_prompt', prompt: prompt.name };
          return;
        }
        const login = new URLSearchParams(await readBody(ctx.req)).get('login') ?? '';
        if (!LOGIN_RE.test(login)) {
          ctx.status = 400;
          ctx.body = { error: 'invalid_login', error_description: 'login must match [a-z][a-z0-9._-]*' };
          return;
        }
        result = { login: { accountId: login } };
      } else {
        if (prompt.name !== 'consent') {
          ctx.status = 400;
          ctx.body = { error: 'not_a_consent_prompt', prompt: prompt.name };
          return;
        }
        const grant = grantId
          ? await provider.Grant.find(grantId)
          : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
        const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
        if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
        if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
        if (missingResourceScopes) {
          for (const [indicator, scopes] of Object.entries(missingResourceScopes)) {
            grant.addResourceScope(indicator, scopes.join(' '));
          }
        }
        result = { consent: { grantId: await grant.save() } };
        merge = true;
      }
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
      ctx.status = 303;
      ctx.redirect(returnTo);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) {
        ctx.status = 400;
        ctx.body = { error: 'interaction_not_found', error_description: err.message };
        return;
      }
      throw err;
    }
  });

  provider.on('server_error', (_ctx, err) => console.error('server_error', err));

  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 4096) {
        reject(new Error('body too large'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

// Stop cleanly on a signal, and (C981_OIDC_EXIT_ON_EOF=1, as the tests set it) when stdin closes.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
if (process.env.C981_OIDC_EXIT_ON_EOF === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
