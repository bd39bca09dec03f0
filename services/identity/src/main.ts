// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import { staticKeys } from '@tongban/auth';
import { identity } from '@tongban/contracts';
import { runMigrations } from '@tongban/eventstore';
import { fail, publicUnary, runService, serveGrpc, systemClock } from '@tongban/runtime';
import { bootstrapAdministrator } from './bootstrap';
import { Directory, findStaffRole } from './directory';
import { issueToken } from './issue-token';
import { PasswordStore } from './passwords';
import { Sessions, meView } from './sessions';
import { loadKeyRing } from './signing-keys';
import { IDENTITY_MIGRATIONS } from './migrations';
import { Oidc, oidcSettings } from './oidc';
import { identityUnary } from './rpc';
import { StaffRepository } from './staff-store';

runService('identity', async (host) => {
  await runMigrations(host.pool, 'identity', IDENTITY_MIGRATIONS);
  // NODE_ENV=production without TONGBAN_JWT_SECRET, or a secret under 32 bytes: ConfigError, no start.
  const ring = await loadKeyRing(process.env, host.pool);
  host.keys = staticKeys(ring.verification);
  const jwksJson = JSON.stringify({ keys: ring.verification });
  // Tokens and throttling use real time (never the test clock).
  const now = () => systemClock.now();
  const staff = new StaffRepository(host.store, host.pool);
  const passwords = new PasswordStore(host.pool);
  const sessions = new Sessions({ pool: host.pool, staff, ref: host.ref, key: () => ring.signing, now });
  // TONGBAN_OIDC_*: single sign-on (ConfigError when half set).
  const oidc = new Oidc({ settings: oidcSettings(process.env), staff, sessions, now });
  const directory = new Directory({ staff, passwords, sessions, ref: host.ref, now, oidcIssuer: oidc.issuer });
  const keys = host.keys;
  const grpc = await serveGrpc(host, 'identity', identity.IdentityServiceService, {
    getVerificationKeys: publicUnary(host.log, async () => ({ jwksJson, currentKid: ring.signing.kid, generated: ring.generated })),
    issueToken: publicUnary(host.log, (req: identity.IssueTokenRequest) => issueToken(req, ring.signing, now())),
    login: identityUnary(keys, host.log, 'none', async (req: identity.LoginRequest) => ({ session: await sessions.login(req) })),
    refresh: identityUnary(keys, host.log, 'none', async (req: identity.RefreshRequest) => ({ session: await sessions.refresh(req) })),
    logout: identityUnary(keys, host.log, 'none', async (req: identity.LogoutRequest) => { await sessions.logout(req.refreshToken); return {}; }),
    changePassword: identityUnary(keys, host.log, 'required', async (req: identity.ChangePasswordRequest, subject, correlation) => {
      if (subject?.kind !== 'staff' && subject?.kind !== 'person') throw fail.forbidden('not_a_person', 'only signed-in staff change a password');
      await sessions.changePassword(subject.id, req, correlation);
      return {};
    }),
    getMe: identityUnary(keys, host.log, 'required', async (_req: identity.GetMeRequest, subject) => {
      if (subject?.kind !== 'staff' && subject?.kind !== 'person') throw fail.forbidden('not_a_person', 'GET /api/v1/me is for signed-in staff');
      const state = await staff.load(subject.id);
      if (state.revision < 0) throw fail.notFound('staff_not_found', `${subject.id} is not an account of the staff directory (a token of npm run token?)`);
      return { meJson: JSON.stringify(meView(state, host.ref)) };
    }),
    manageStaff: identityUnary(keys, host.log, 'required', async (req: identity.ManageStaffRequest, subject, correlation) => {
      let body: Record<string, unknown> = {};
      try {
        body = req.bodyJson ? JSON.parse(req.bodyJson) as Record<string, unknown> : {};
      } catch {
        throw fail.invalid('invalid_json', 'body_json is not JSON');
      }
      const result = await directory.manage(subject!, req.action, req.staffId, req.roleId, body, correlation);
      return { resultJson: JSON.stringify(result) };
    }),
    findStaffRole: identityUnary(keys, host.log, 'required', async (req: identity.FindStaffRoleRequest, subject) => {
      if (subject?.kind !== 'staff') throw fail.forbidden('not_staff', 'FindStaffRole is for staff acting in a ticket role');
      return findStaffRole(staff, req);
    }),
    getSignInMethods: publicUnary(host.log, async () => ({ oidc: oidc.issuer !== undefined })),
    oidcStart: identityUnary(keys, host.log, 'none', () => oidc.start()),
    oidcCallback: identityUnary(keys, host.log, 'none', async (req: identity.OidcCallbackRequest) => ({ session: await oidc.callback(req) })),
  });
  const created = await bootstrapAdministrator({ staff, passwords, ref: host.ref, now: now(), ...(process.env['TONGBAN_BOOTSTRAP_PASSWORD'] ? { bootstrapPassword: process.env['TONGBAN_BOOTSTRAP_PASSWORD'] } : {}) });
  if (created) {
    // Printed once, on the console (not in the structured log): the one way to learn a generated password.
    const shown = created.fromEnvironment ? '(the password in TONGBAN_BOOTSTRAP_PASSWORD)' : created.password;
    console.log(`\n  Bootstrap administrator created: sign in as "${created.username}" with one-time password ${shown}\n`
      + '  (POST /api/v1/auth/login; you must change it at the first sign-in: POST /api/v1/auth/password).\n'
      + '  This is shown only once.\n');
  }
  host.log.info({
    port: grpc.port, kid: ring.signing.kid, accepted: ring.verification.map((k) => k.kid),
    key: ring.generated ? 'generated installation key (table identity_installation_key)' : 'TONGBAN_JWT_SECRET',
  }, 'identity gRPC listening');
});
