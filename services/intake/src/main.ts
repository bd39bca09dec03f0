// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import { attachmentStoreFromEnv } from '@tongban/attachments';
import { intake } from '@tongban/contracts';
import { runMigrations } from '@tongban/eventstore';
import { ReporterKeyStore, TicketExecutor, publicUnary, runService, serveGrpc, subjectUnary, unary } from '@tongban/runtime';
import { verifyApiKey } from './api-keys';
import { MAX_ATTACHMENT_MESSAGE_BYTES, addAttachment } from './attachments';
import { executeReporterCommand } from './client-updates';
import { directoryAdminCheck } from './directory-admin';
import { eraseReporter } from './erasure';
import { INTAKE_MIGRATIONS } from './migrations';
import { retryWindowSeconds } from './open311-retries';
import { submitTicket } from './submission';

runService('intake', async (host) => {
  await runMigrations(host.pool, 'intake', INTAKE_MIGRATIONS);
  const executor = new TicketExecutor({ store: host.store, ref: host.ref, clock: host.clock, service: 'intake', settings: host.settings });
  // Issue 14 item 6: the reporters' data keys (TONGBAN_REPORTER_KEY, or the generated installation key outside production).
  const reporters = await ReporterKeyStore.open(host.pool);
  const deps = { pool: host.pool, executor, reporters, ref: host.ref, clock: host.clock, open311RetryWindowSeconds: retryWindowSeconds(), slaConfig: host.slaConfig };
  const files = attachmentStoreFromEnv(host.pool);
  const directoryAdmins = directoryAdminCheck(host.config.addresses.identity);
  host.onStop(() => directoryAdmins.close());
  const grpc = await serveGrpc(host, 'intake', intake.IntakeServiceService, {
    submitTicket: unary(host.keys, host.log, (req: intake.SubmitTicketRequest, principal) => submitTicket(deps, req, principal)),
    executeReporterCommand: unary(host.keys, host.log, (req: intake.ExecuteReporterCommandRequest, principal, md) =>
      executeReporterCommand({ ...deps, store: host.store }, req, principal, md)),
    // The API key is the credential: no token (see api-keys.ts).
    verifyApiKey: publicUnary(host.log, async (req: intake.VerifyApiKeyRequest): Promise<intake.VerifyApiKeyResponse> => {
      const clientId = await verifyApiKey(host.pool, req.apiKey);
      return { valid: clientId !== undefined, clientId: clientId ?? '' };
    }),
    addAttachment: unary(host.keys, host.log, (req: intake.AddAttachmentRequest, principal, md) =>
      addAttachment({ ...deps, store: host.store, files }, req, principal, md)),
    // Issue 14 item 6: supervisors, and directory-admins (a person token too; their role is asked of identity).
    eraseReporter: subjectUnary(host.keys, host.log, (req: intake.EraseReporterRequest, subject, token) =>
      eraseReporter({ reporters, store: host.store, clock: host.clock, isDirectoryAdmin: () => directoryAdmins.check(token) }, req, subject)),
  }, { maxMessageBytes: MAX_ATTACHMENT_MESSAGE_BYTES });
  host.log.info({ port: grpc.port }, 'intake gRPC listening');
});
