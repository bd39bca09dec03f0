/**
 * Test support (not used by the gateway itself): fake identity, intake, routing, casework, query and
 * notification services on one real gRPC server, recording every call and answering as the test says.
 * The real services are tested in their own folders; the gateway's tests check its HTTP ↔ gRPC mapping.
 */
import { Metadata, Server, ServerCredentials, type ServerUnaryCall, type ServiceError, type sendUnaryData, status } from '@grpc/grpc-js';
import { signToken, signingKeyFromSecret, staticKeys, type Principal } from '@tongban/auth';
import { casework, identity, intake, notification, query, routing } from '@tongban/contracts';
import { REASON_KEY } from '@tongban/runtime';

/** One recorded call: the method (e.g. `casework.executeCaseworkCommand`), request and metadata. */
interface RecordedCall {
  method: string;
  request: unknown;
  metadata: Metadata;
}

/** A failure a fake answers with: gRPC code, details and the `tongban-reason` trailer. */
interface FakeFailure {
  code: status;
  details: string;
  reason?: string;
}

/** How a fake answers a call: a response, or a failure. */
type FakeAnswer = { response: unknown } | { failure: FakeFailure };

/** Decides the answer to a call; the default answers successfully with plausible data. */
type FakeBehaviour = (method: string, request: unknown) => FakeAnswer | undefined;

/** Running fake upstreams. */
export interface FakeUpstreams {
  /** `127.0.0.1:<port>` of the server hosting every fake service. */
  address: string;
  calls: RecordedCall[];
  /** Replace to change answers; return undefined for the default answer. */
  behaviour: FakeBehaviour;
  /** Calls to one method. */
  callsTo(method: string): RecordedCall[];
  stop(): Promise<void>;
}

/** The one API key the fake intake accepts, and the client application it belongs to. */
export const FAKE_API_KEY = 'tb311_0123456789abcdef_' + 'ab'.repeat(32);
export const FAKE_API_CLIENT = 'test-app';

/**
 * The fake identity's signing key: it serves its public key (GetVerificationKeys) and signs what
 * IssueToken asks for; tests sign their staff tokens with it and verify issued tokens with FAKE_KEYS.
 */
export const FAKE_SIGNING_KEY = signingKeyFromSecret('fake-identity-signing-secret-0123456789-abcdef');
export const FAKE_KEYS = staticKeys([FAKE_SIGNING_KEY.publicJwk]);

async function identityAnswer(method: string, request: unknown): Promise<unknown> {
  if (method === 'identity.getVerificationKeys') {
    return { jwksJson: JSON.stringify({ keys: [FAKE_SIGNING_KEY.publicJwk] }), currentKid: FAKE_SIGNING_KEY.kid, generated: false };
  }
  const req = request as identity.IssueTokenRequest;
  const principal: Principal = req.kind === 'open311'
    ? { kind: 'open311', id: req.subject, ...(req.deviceId ? { deviceId: req.deviceId } : {}) }
    : { kind: 'citizen', id: req.subject };
  return { token: await signToken(principal, FAKE_SIGNING_KEY, new Date(), req.ttlSeconds || undefined) };
}

function defaultAnswer(method: string, request: unknown): unknown {
  const req = request as { ticketId?: string };
  switch (method) {
    case 'intake.submitTicket': return { ticketId: 'ticket-1', reference: 'LS-2026-000001', revision: 0, replayed: false, status: '' };
    case 'intake.executeReporterCommand':
    case 'routing.executeRoutingCommand':
    case 'casework.executeCaseworkCommand':
      return { outcome: { ticketId: req.ticketId ?? '', revision: 5, eventTypes: ['SomethingHappened'] } };
    case 'query.getTicket': return { viewJson: JSON.stringify({ id: req.ticketId, status: 'routed', revision: 1, routedUnit: 'adm-513437100' }) };
    case 'query.getTicketHistory': return { eventsJson: JSON.stringify([{ revision: 0, type: 'TicketSubmitted' }, { revision: 1, type: 'TicketRouted' }]) };
    case 'query.listTickets': return { ticketsJson: JSON.stringify([{ id: 'ticket-1' }]) };
    case 'query.listUnits': return { unitsJson: JSON.stringify([{ id: 'adm-513437100', name: '锦城镇', kind: 'administration', division: '513437100' }]) };
    case 'query.listServices': return { servicesJson: JSON.stringify([{ service_code: 'road-damage' }]) };
    case 'intake.verifyApiKey': {
      const valid = (request as { apiKey?: string }).apiKey === FAKE_API_KEY;
      return { valid, clientId: valid ? FAKE_API_CLIENT : '' };
    }
    case 'query.listTicketUpdates': return { updatesJson: '[]' };
    case 'notification.listInbox': return { messages: [{ id: 'm1', ticketId: 'ticket-1', kind: 'ticket-arrived', title: 't', body: 'b', createdAt: '2026-01-01T00:00:00.000Z', eventId: 'e1', read: true }], unread: 2 };
    case 'notification.markInboxRead': return { unread: 1 };
    default: return {};
  }
}

/** Starts the fakes on an ephemeral port of 127.0.0.1. */
export async function startFakeUpstreams(): Promise<FakeUpstreams> {
  const server = new Server();
  const calls: RecordedCall[] = [];
  const fakes: FakeUpstreams = {
    address: '',
    calls,
    behaviour: () => undefined,
    callsTo: (method) => calls.filter((c) => c.method === method),
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
  const handler = (method: string) => (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    calls.push({ method, request: call.request, metadata: call.metadata });
    const answer = fakes.behaviour(method, call.request) ?? { response: defaultAnswer(method, call.request) };
    if ('failure' in answer) {
      const metadata = new Metadata();
      if (answer.failure.reason) metadata.set(REASON_KEY, answer.failure.reason);
      const error: Partial<ServiceError> = { code: answer.failure.code, details: answer.failure.details, metadata };
      callback(error, null);
    } else {
      callback(null, answer.response);
    }
  };
  const identityHandler = (method: string) => (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    calls.push({ method, request: call.request, metadata: call.metadata });
    const answer = fakes.behaviour(method, call.request);
    if (answer && 'response' in answer) { callback(null, answer.response); return; }
    identityAnswer(method, call.request).then((res) => callback(null, res), (err: Error) => callback({ code: status.INTERNAL, details: err.message }, null));
  };
  server.addService(identity.IdentityServiceService, {
    getVerificationKeys: identityHandler('identity.getVerificationKeys'), issueToken: identityHandler('identity.issueToken'),
  });
  server.addService(intake.IntakeServiceService, {
    submitTicket: handler('intake.submitTicket'), executeReporterCommand: handler('intake.executeReporterCommand'), verifyApiKey: handler('intake.verifyApiKey'),
  });
  server.addService(routing.RoutingServiceService, { executeRoutingCommand: handler('routing.executeRoutingCommand') });
  server.addService(casework.CaseworkServiceService, { executeCaseworkCommand: handler('casework.executeCaseworkCommand') });
  server.addService(query.QueryServiceService, {
    getTicket: handler('query.getTicket'), getTicketHistory: handler('query.getTicketHistory'), listTickets: handler('query.listTickets'),
    listUnits: handler('query.listUnits'), listServices: handler('query.listServices'), listTicketUpdates: handler('query.listTicketUpdates'),
  });
  server.addService(notification.NotificationServiceService, { listInbox: handler('notification.listInbox'), markInboxRead: handler('notification.markInboxRead') });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  fakes.address = `127.0.0.1:${port}`;
  return fakes;
}
