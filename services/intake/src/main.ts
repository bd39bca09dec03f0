// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import { attachmentStoreFromEnv } from '@tongban/attachments';
import { intake } from '@tongban/contracts';
import { runMigrations } from '@tongban/eventstore';
import { TicketExecutor, publicUnary, runService, serveGrpc, unary } from '@tongban/runtime';
import { verifyApiKey } from './api-keys';
import { MAX_ATTACHMENT_MESSAGE_BYTES, addAttachment } from './attachments';
import { executeReporterCommand } from './client-updates';
import { INTAKE_MIGRATIONS } from './migrations';
import { retryWindowSeconds } from './open311-retries';
import { submitTicket } from './submission';

runService('intake', async (host) => {
  await runMigrations(host.pool, 'intake', INTAKE_MIGRATIONS);
  const executor = new TicketExecutor({ store: host.store, ref: host.ref, clock: host.clock, service: 'intake', settings: host.settings });
  const deps = { pool: host.pool, executor, ref: host.ref, clock: host.clock, open311RetryWindowSeconds: retryWindowSeconds(), slaConfig: host.slaConfig };
  const files = attachmentStoreFromEnv(host.pool);
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
  }, { maxMessageBytes: MAX_ATTACHMENT_MESSAGE_BYTES });
  host.log.info({ port: grpc.port }, 'intake gRPC listening');
});
