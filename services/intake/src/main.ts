import { intake } from '@tongban/contracts';
import { runMigrations } from '@tongban/eventstore';
import { TicketExecutor, executeTicketRpc, runService, startGrpcServer, unary } from '@tongban/runtime';
import { INTAKE_MIGRATIONS } from './migrations';
import { reporterCommand } from './reporter-commands';
import { submitTicket } from './submission';

runService('intake', async (host) => {
  await runMigrations(host.pool, 'intake', INTAKE_MIGRATIONS);
  const executor = new TicketExecutor({ store: host.store, ref: host.ref, clock: host.clock, service: 'intake', settings: host.settings });
  const deps = { pool: host.pool, executor, ref: host.ref, clock: host.clock };
  const grpc = await startGrpcServer(host.config.addresses.intake, intake.IntakeServiceService, {
    submitTicket: unary(host.key, host.log, (req: intake.SubmitTicketRequest, principal) => submitTicket(deps, req, principal)),
    executeReporterCommand: unary(host.key, host.log, (req: intake.ExecuteReporterCommandRequest, principal, md) =>
      executeTicketRpc(deps, req, principal, md, reporterCommand(req, principal))),
  });
  host.onStop(grpc.stop);
  host.log.info({ port: grpc.port }, 'intake gRPC listening');
});
