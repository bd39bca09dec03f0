import type { Principal } from '@tongban/auth';
import { type casework, type commands, type intake, query, type routing } from '@tongban/contracts';
import { CALLBACK_CHANNELS, RATING_LEVELS, REJECTION_CATEGORIES, RETURN_REASON_CODES, VERIFICATION_METHODS } from '@tongban/domain';
import type { FastifyInstance } from 'fastify';
import { requireCaller } from '../auth';
import { callContext, parseUpstreamJson, type GatewayContext } from '../context';
import { OPTIONAL_BODY, emptyBodyAsObject } from '../docs';
import { unaryCall, type CallContext, type GrpcClients } from '../grpc-clients';
import { idempotencyKeyHeader } from '../idempotency-key';
import { HttpProblem, problems } from '../problem';
import { expectedRevision, setEtag } from '../revision';
import {
  bearerSecurity, commandOutcomeSchema, ifMatchHeaders, int32, optionalText, problemResponses, text, ticketIdParams, type JsonSchema,
} from '../schemas';

/** A reporter command of intake.ExecuteReporterCommand. */
type IntakeCommand = NonNullable<intake.ExecuteReporterCommandRequest['command']>;
/** A command of routing.ExecuteRoutingCommand. */
type RoutingCommand = NonNullable<routing.ExecuteRoutingCommandRequest['command']>;
/** A command of casework.ExecuteCaseworkCommand. */
type CaseworkCommand = NonNullable<casework.ExecuteCaseworkCommandRequest['command']>;

/** A command for one of the services that execute ticket commands. */
type UpstreamCommand =
  | { service: 'intake'; command: IntakeCommand }
  | { service: 'routing'; command: RoutingCommand }
  | { service: 'casework'; command: CaseworkCommand };

/** One `POST /api/v1/tickets/{id}/<path>` route: its body schema and the upstream command it becomes. */
export interface CommandRoute<B> {
  path: string;
  summary: string;
  description?: string;
  body: JsonSchema;
  /** True when the body may be omitted (it is then `{}`). */
  optionalBody?: boolean;
  build(body: B, principal: Principal): UpstreamCommand;
  /**
   * A body field naming another ticket by id or by reference (`LS-2026-000123`): a reference is looked up
   * as the caller (query.ListTickets: a ticket the caller may not read is not found) and replaced by the
   * ticket's id before `build`; `notFound` is the problem when no ticket has it.
   */
  ticketField?: { name: string; notFound: (reference: string) => HttpProblem };
}

function route<B>(spec: CommandRoute<B>): CommandRoute<unknown> {
  return spec;
}

function body(properties: Record<string, JsonSchema>, required: string[], extra: JsonSchema = {}): JsonSchema {
  return { type: 'object', additionalProperties: false, required, properties, ...extra };
}

const intakeCmd = (command: IntakeCommand): UpstreamCommand => ({ service: 'intake', command });
const routingCmd = (command: RoutingCommand): UpstreamCommand => ({ service: 'routing', command });
const caseworkCmd = (command: CaseworkCommand): UpstreamCommand => ({ service: 'casework', command });

/**
 * The command routes (issues 2 and 3; return and return-review: issue 14 item 3). Who may run each is decided
 * by the owning service; the gateway picks the service: routing (accept, transfer, handback, reassign, escalate, return, return-review), casework (reply, notes,
 * request-information, deadline, resolve, verify, reject, duplicate, merge, and close by staff), intake (the
 * reporter's information, close by a citizen, reopen, rating, withdraw).
 */
export const COMMAND_ROUTES: readonly CommandRoute<unknown>[] = [
  route<Record<string, never>>({
    path: 'accept', summary: 'Accept the ticket (the first accept fixes the first responder)', optionalBody: true,
    body: body({}, []),
    build: () => routingCmd({ $case: 'accept', value: {} }),
  }),
  route<{ message: string; public: boolean }>({
    path: 'reply', summary: 'Reply (public: shown to the reporter)',
    body: body({ message: text('The reply.'), public: { type: 'boolean', description: 'true: the reporter sees it; false: internal.' } }, ['message', 'public']),
    build: (b) => caseworkCmd({ $case: 'reply', value: { message: b.message, public: b.public } }),
  }),
  route<{ resolution: string }>({
    path: 'resolve', summary: 'Resolve',
    body: body({ resolution: text('What was done.') }, ['resolution']),
    build: (b) => caseworkCmd({ $case: 'resolve', value: { resolution: b.resolution } }),
  }),
  route<{ department?: string; unit?: string; reason: string }>({
    path: 'transfer', summary: 'Transfer to a department (the first responder stays accountable)',
    description: 'Name either `department` (a department type of the catalogue, in the holding unit\'s county) or `unit` (a unit id).',
    body: body({
      department: { type: 'string', minLength: 1, maxLength: 64, description: 'Department type, e.g. housing-construction.' },
      unit: { type: 'string', minLength: 1, maxLength: 128, description: 'Unit id, e.g. dep-513437-water.' },
      reason: text('Why.'),
    }, ['reason'], { oneOf: [{ required: ['department'] }, { required: ['unit'] }] }),
    build: (b) => routingCmd({ $case: 'transfer', value: { department: b.department ?? '', unitId: b.unit ?? '', reason: b.reason } }),
  }),
  route<{ findings: string }>({
    path: 'handback', summary: 'Hand the ticket back to the unit that transferred it, with findings',
    body: body({ findings: text('What the department found or did.') }, ['findings']),
    build: (b) => routingCmd({ $case: 'handBack', value: { findings: b.findings } }),
  }),
  route<{ question: string }>({
    path: 'request-information', summary: 'Ask the reporter for information (pauses the resolution leg)',
    body: body({ question: text('The question to the reporter.') }, ['question']),
    build: (b) => caseworkCmd({ $case: 'requestInformation', value: { question: b.question } }),
  }),
  route<{ text: string }>({
    path: 'information', summary: 'The reporter adds information',
    body: body({ text: text('The information.') }, ['text']),
    build: (b) => intakeCmd({ $case: 'addInformation', value: { text: b.text } }),
  }),
  route<{ text: string }>({
    path: 'notes', summary: 'Add an internal note (never shown to the reporter)',
    body: body({ text: text('The note.') }, ['text']),
    build: (b) => caseworkCmd({ $case: 'note', value: { text: b.text } }),
  }),
  route<{ dueAt: string; reason: string }>({
    path: 'deadline', summary: 'Set or extend the resolution deadline, with a reason (announced to the reporter)',
    body: body({
      dueAt: { type: 'string', format: 'date-time', description: 'ISO-8601 instant with offset, e.g. 2015-06-30T18:00:00+08:00.' },
      reason: text('Why it cannot be solved sooner.'),
    }, ['dueAt', 'reason']),
    build: (b) => caseworkCmd({ $case: 'setDeadline', value: { dueAt: new Date(b.dueAt).toISOString(), reason: b.reason } }),
  }),
  route<{ method: string; note: string }>({
    path: 'verify', summary: 'Record a verification of the resolution (several allowed)',
    body: body({
      method: { type: 'string', minLength: 1, maxLength: 64, description: `One of ${VERIFICATION_METHODS.join(', ')}.` },
      note: text('What the verification found.'),
    }, ['method', 'note']),
    build: (b) => caseworkCmd({ $case: 'verify', value: { method: b.method, note: b.note } }),
  }),
  route<{ reason?: string }>({
    path: 'close', summary: 'Close (the reporter confirms, or the holding unit closes after resolution)', optionalBody: true,
    description: 'A citizen (device) token closes through intake as the reporter; a staff token closes through casework (which also accepts the officer who reported).',
    body: body({ reason: optionalText('Why.') }, []),
    build: (b, principal) => principal.kind === 'staff'
      ? caseworkCmd({ $case: 'close', value: { reason: b.reason ?? '' } })
      : intakeCmd({ $case: 'close', value: { reason: b.reason ?? '' } }),
  }),
  route<{ reason: string }>({
    path: 'reopen', summary: 'The reporter reopens a resolved ticket (back to the first responder\'s unit)',
    body: body({ reason: text('Why the problem is not solved.') }, ['reason']),
    build: (b) => intakeCmd({ $case: 'reopen', value: { reason: b.reason } }),
  }),
  route<{ score?: number; level?: string; comment?: string }>({
    path: 'rating', summary: 'The reporter rates the handling (five levels; dissatisfied sends a resolved ticket back for rectification)',
    description: 'Give `level` (very_satisfied, satisfied, basically_satisfied, dissatisfied, very_dissatisfied — the national 好差评 levels) '
      + 'or the numeric `score` (5 = very_satisfied … 1 = very_dissatisfied). A dissatisfied or very dissatisfied rating of a resolved ticket reopens it '
      + 'for rectification (发回重办: 15 working days, then a mandatory callback). Examples: `{"level": "satisfied"}`, `{"score": 2, "comment": "还在漏水"}`.',
    body: body({
      score: int32('Satisfaction from 1 to 5 (checked by the service; any other integer answers 400 score_out_of_range).', 'tongban.ticket.v1.RateTicket.score'),
      comment: optionalText('Comment.'),
      level: { type: 'string', enum: [...RATING_LEVELS], description: 'One of the five levels (instead of, or agreeing with, score).' },
    }, [], { anyOf: [{ required: ['score'] }, { required: ['level'] }], examples: [{ level: 'satisfied' }, { score: 2, comment: '还在漏水' }] }),
    build: (b) => intakeCmd({ $case: 'rate', value: { score: b.score ?? 0, comment: b.comment ?? '', ...(b.level ? { level: b.level } : {}) } }),
  }),
  route<{ reached: boolean; channel: string; rating?: string; comment?: string }>({
    path: 'callback', summary: 'Record a callback (回访) to the reporter after the resolution',
    description: 'By the first responder\'s unit (an admin), or — when `callback.by` is `hotline` (TONGBAN_CALLBACK_BY=hotline at the resolution) — by hotline staff '
      + 'whose jurisdiction contains the ticket (the other gets 403 `callback_by_hotline` / `callback_by_first_responder`). Due 3 working days after the resolution '
      + '(`callback.dueAt` in the ticket; when none was recorded by then the deadline service records `CallbackOverdue`, and a late callback is still taken). '
      + 'Reached: `rating` is one of the five levels; dissatisfied or very dissatisfied sends the ticket back for rectification (发回重办). '
      + 'Not reached: the attempt is recorded; after the 3rd the ticket closes as not reached (counted apart from resolved). '
      + 'Examples: `{"reached": true, "channel": "phone", "rating": "basically_satisfied"}`, `{"reached": false, "channel": "phone"}`.',
    body: body({
      reached: { type: 'boolean', description: 'Whether the reporter was reached.' },
      channel: { type: 'string', enum: [...CALLBACK_CHANNELS], description: 'How: phone, sms, app or visit.' },
      rating: { type: 'string', enum: [...RATING_LEVELS], description: 'The reporter\'s satisfaction (required when reached).' },
      comment: optionalText('What the reporter said.'),
    }, ['reached', 'channel'], { examples: [{ reached: true, channel: 'phone', rating: 'basically_satisfied' }, { reached: false, channel: 'phone' }] }),
    build: (b) => caseworkCmd({ $case: 'callback', value: { reached: b.reached, channel: b.channel, rating: b.rating ?? '', comment: b.comment ?? '' } }),
  }),
  route<{ reason: string; category?: string }>({
    path: 'reject', summary: 'Reject (out of scope, abusive) with a reason',
    body: body({
      reason: text('Why.'),
      category: { type: 'string', maxLength: 64, description: `One of ${REJECTION_CATEGORIES.join(', ')} (default other).` },
    }, ['reason']),
    build: (b) => caseworkCmd({ $case: 'reject', value: { reason: b.reason, category: b.category ?? '' } }),
  }),
  route<{ of: string }>({
    path: 'duplicate', summary: 'Mark as a duplicate of another ticket',
    description: 'The original must be a ticket you may find (else 400 `duplicate_target_not_found`, as for an unknown one) and not itself a duplicate '
      + '(409 `duplicate_target_duplicate`: name its original), so two tickets never end as duplicates of each other.',
    body: body({ of: { type: 'string', minLength: 1, maxLength: 64, description: 'Id or reference (LS-2026-000123) of the original ticket.' } }, ['of']),
    build: (b) => caseworkCmd({ $case: 'markDuplicate', value: { ofTicketId: b.of } }),
    ticketField: { name: 'of', notFound: (ref) => problems.badRequest('duplicate_target_not_found', `no ticket ${ref} to be a duplicate of`) },
  }),
  route<{ into: string }>({
    path: 'merge', summary: 'Merge this ticket into a lead ticket reporting the same problem (并单, issue 14 item 5)',
    description: 'The holding unit\'s admin, the first responder\'s unit or a supervisor of the area. This ticket (submitted, routed, in progress '
      + 'or awaiting information) ends as `duplicate` with `mergedInto` {id, reference}; its reporter follows the lead (reads it, never who reported it, '
      + 'and hears of its acceptance, announced deadline, public replies and resolution); the lead counts it in `merged` and the statistics count the '
      + 'problem once, on the lead. Events: `TicketMerged` here, `DuplicateMerged` on the lead. The lead must exist (else 404 `merge_target_not_found`) '
      + 'and be one you may find — another county\'s is answered the same —, and not be final (409 `merge_target_final`) nor a confidential report (409 `merge_into_confidential`: the merged ticket\'s reporter would follow it); merging again into the same lead changes nothing. `into` may be the lead\'s reference: it is looked up '
      + 'among the tickets the caller may read.',
    body: body({ into: { type: 'string', minLength: 1, maxLength: 64, description: 'Id or reference (LS-2026-000123) of the lead ticket.' } }, ['into'], {
      examples: [{ into: '0193a0b2-7c1e-7d41-9a2b-5e1f0c3d4a5b' }, { into: 'LS-2026-000123' }],
    }),
    build: (b) => caseworkCmd({ $case: 'merge', value: { intoTicketId: b.into } }),
    ticketField: { name: 'into', notFound: (ref) => new HttpProblem(404, 'merge_target_not_found', `no ticket ${ref} to merge into`) },
  }),
  route<Record<string, never>>({
    path: 'follow', summary: 'A citizen follows an open ticket instead of reporting the same problem ("me too", issue 14 item 5)', optionalBody: true,
    description: 'Any citizen device; the ticket then appears in its list and is readable by it (never who reported it), and its `followers` count grows. '
      + 'Following again, or the reporter following its own report, changes nothing. Find candidates with `GET /api/v1/tickets/similar`.',
    body: body({}, []),
    build: () => intakeCmd({ $case: 'follow', value: {} }),
  }),
  route<{ reason?: string }>({
    path: 'withdraw', summary: 'The reporter withdraws the report', optionalBody: true,
    body: body({ reason: optionalText('Why.') }, []),
    build: (b) => intakeCmd({ $case: 'withdraw', value: { reason: b.reason ?? '' } }),
  }),
  route<{ unit: string; staff?: string; reason: string }>({
    path: 'reassign', summary: 'A supervisor reassigns the ticket (may change the first responder)',
    body: body({
      unit: { type: 'string', minLength: 1, maxLength: 128, description: 'Unit id.' },
      staff: { type: 'string', minLength: 1, maxLength: 128, description: 'Staff id of the new first responder (optional).' },
      reason: text('Why.'),
    }, ['unit', 'reason']),
    build: (b) => routingCmd({ $case: 'reassign', value: { unitId: b.unit, staffId: b.staff ?? '', reason: b.reason } }),
  }),
  route<{ reasonCode: string; reason?: string; legalBasis?: string }>({
    path: 'return', summary: 'Return the ticket as not ours (退单), within 2 working days of receipt',
    description: 'The receiving unit (its admin, or department staff after a transfer) returns the ticket with a reason code: '
      + '`wrong_place` (属地不符), `unclear_ownership` (权属不清), `overlapping_duties` (职能交叉) or `other` (then `reason` is required), '
      + 'and optionally the legal basis. The dispatching level reviews it (`return-review`). After 2 working days of receipt: 409 `return_window_passed`. '
      + 'Example: `{"reasonCode": "wrong_place", "reason": "西街30号属西宁镇", "legalBasis": "乡镇行政区划图（2023）"}`.',
    body: body({
      reasonCode: { type: 'string', enum: [...RETURN_REASON_CODES], description: 'Why the unit is not responsible.' },
      reason: optionalText('Explanation (required for `other`).'),
      legalBasis: optionalText('Legal basis (law, regulation, list of duties).'),
    }, ['reasonCode'], { examples: [{ reasonCode: 'wrong_place', reason: '西街30号属西宁镇', legalBasis: '乡镇行政区划图（2023）' }] }),
    build: (b) => routingCmd({ $case: 'returnTicket', value: { reasonCode: b.reasonCode, reason: b.reason ?? '', legalBasis: b.legalBasis ?? '' } }),
  }),
  route<{ approve: boolean; unit?: string; reason?: string }>({
    path: 'return-review', summary: 'Review a return: approve and reroute to a unit, or refuse with a reason',
    description: 'By the dispatching level: the admin of the unit that transferred the ticket, or a supervisor whose jurisdiction contains it. '
      + 'Approved: the ticket goes to `unit`, which must sign for it (the citizen\'s clocks keep running; the first responder does not change). '
      + 'Refused: it goes back to the returning unit, which must sign for it again. '
      + 'Examples: `{"approve": true, "unit": "adm-513437101"}`, `{"approve": false, "reason": "该地址属锦城镇"}`.',
    body: body({
      approve: { type: 'boolean', description: 'true: approve and reroute to `unit`; false: refuse with `reason`.' },
      unit: { type: 'string', minLength: 1, maxLength: 128, description: 'Unit id the ticket goes to (approve).' },
      reason: optionalText('Why (required to refuse).'),
    }, ['approve'], {
      oneOf: [{ properties: { approve: { const: true } }, required: ['unit'] }, { properties: { approve: { const: false } }, required: ['reason'] }],
      examples: [{ approve: true, unit: 'adm-513437101' }, { approve: false, reason: '该地址属锦城镇' }],
    }),
    build: (b) => routingCmd({ $case: 'reviewReturn', value: { approve: b.approve, unitId: b.unit ?? '', reason: b.reason ?? '' } }),
  }),
  route<{ reason: string }>({
    path: 'escalate', summary: 'A supervisor escalates the ticket one level up',
    body: body({ reason: text('Why.') }, ['reason']),
    build: (b) => routingCmd({ $case: 'escalate', value: { reason: b.reason } }),
  }),
];

/** A ticket's human reference (`LS-<year>-<number>`). */
const TICKET_REFERENCE = /^LS-\d{4}-\d{6,}$/i;

/**
 * The body with `field` holding a ticket id: a reference there is looked up among the tickets the caller
 * may read (query.ListTickets) and replaced by the ticket's id; anything else is left to the service.
 * @throws HttpProblem `field.notFound(reference)` when no ticket the caller may read has the reference.
 */
async function withTicketId(ctx: GatewayContext, payload: unknown, field: NonNullable<CommandRoute<unknown>['ticketField']>, call: CallContext): Promise<unknown> {
  const value = (payload as Record<string, unknown>)[field.name];
  if (typeof value !== 'string' || !TICKET_REFERENCE.test(value.trim())) return payload;
  const reference = value.trim().toUpperCase();
  const res = await unaryCall(ctx.clients.query, ctx.clients.query.listTickets, query.ListTicketsRequest.fromPartial({ references: [reference], limit: 1 }), call, ctx.callTimeoutMs);
  const found = parseUpstreamJson(res.ticketsJson, 'ticket list');
  const id = Array.isArray(found) ? (found[0] as { id?: unknown } | undefined)?.id : undefined;
  if (typeof id !== 'string') throw field.notFound(reference);
  return { ...(payload as Record<string, unknown>), [field.name]: id };
}

/**
 * Sends a command to its service with the expected revision.
 * @returns what the command wrote, and `replayed` when intake answered an Idempotency-Key written before.
 * @throws ServiceError from the service; HttpProblem 502 when the answer lacks its outcome.
 */
async function executeCommand(
  clients: GrpcClients, ticketId: string, expected: number | undefined, idempotencyKey: string | undefined, up: UpstreamCommand, call: CallContext, timeoutMs: number,
): Promise<{ outcome: commands.CommandOutcome; replayed: boolean }> {
  const base = { ticketId, ...(expected !== undefined ? { expectedRevision: expected } : {}) };
  if (idempotencyKey !== undefined && up.service !== 'intake') {
    throw problems.badRequest('idempotency_key_not_supported', 'Idempotency-Key makes a reporter\'s own command safe to retry; a staff command is made safe to retry with If-Match (the revision it was decided on)');
  }
  let outcome: commands.CommandOutcome | undefined;
  let replayed = false;
  switch (up.service) {
    case 'intake':
      ({ outcome, replayed } = await unaryCall(clients.intake, clients.intake.executeReporterCommand, { ...base, clientUpdateId: idempotencyKey ?? '', command: up.command }, call, timeoutMs));
      break;
    case 'routing':
      ({ outcome } = await unaryCall(clients.routing, clients.routing.executeRoutingCommand, { ...base, command: up.command }, call, timeoutMs));
      break;
    case 'casework':
      ({ outcome } = await unaryCall(clients.casework, clients.casework.executeCaseworkCommand, { ...base, command: up.command }, call, timeoutMs));
      break;
  }
  if (!outcome) throw problems.badUpstream(`the ${up.service} service answered without an outcome`);
  return { outcome, replayed };
}

/**
 * The headers of a command route: If-Match, and Idempotency-Key for the reporter's own commands (intake
 * derives the events' ids from caller, ticket and key, so a retry writes nothing and answers the first
 * write's outcome; the same key with another command or body of the same ticket answers 422
 * idempotency_key_reused).
 */
const commandHeaders: JsonSchema = {
  ...ifMatchHeaders,
  properties: {
    ...(ifMatchHeaders['properties'] as Record<string, JsonSchema>),
    'idempotency-key': idempotencyKeyHeader('A reporter\'s command executed by intake (information, reopen, rating, follow, withdraw; close with a citizen token) at most once per caller, ticket and key: a retry answers the first write\'s outcome with the header Idempotent-Replayed: true; the key with another command or body on the ticket answers 422 idempotency_key_reused. Staff commands answer 400 idempotency_key_not_supported (they use If-Match).'),
  },
};

/**
 * Registers every command route: If-Match → expected_revision, Idempotency-Key → intake's
 * client_update_id; answer {id, revision, events} with ETag.
 */
export function registerCommandRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  for (const spec of COMMAND_ROUTES) {
    app.post<{ Params: { id: string }; Body: unknown; Headers: { 'idempotency-key'?: string } }>(`/api/v1/tickets/:id/${spec.path}`, {
      onRequest: ctx.auth.required,
      ...(spec.optionalBody ? { preValidation: emptyBodyAsObject } : {}),
      schema: {
        tags: ['commands'],
        summary: spec.summary,
        ...(spec.optionalBody ? { [OPTIONAL_BODY]: true } : {}),
        ...(spec.description ? { description: spec.description } : {}),
        security: bearerSecurity,
        params: ticketIdParams,
        headers: commandHeaders,
        body: spec.body,
        response: { 200: commandOutcomeSchema, ...problemResponses(400, 401, 403, 404, 409, 412, 413, 415, 422, 503) },
      },
    }, async (request, reply) => {
      const call = callContext(request);
      const expected = expectedRevision(request);
      const requested = request.body ?? {};
      const payload = spec.ticketField ? await withTicketId(ctx, requested, spec.ticketField, call) : requested;
      const up = spec.build(payload, requireCaller(request).principal);
      const { outcome, replayed } = await executeCommand(ctx.clients, request.params.id, expected, request.headers['idempotency-key'], up, call, ctx.callTimeoutMs);
      setEtag(reply, outcome.revision);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return { id: outcome.ticketId || request.params.id, revision: outcome.revision, events: outcome.eventTypes };
    });
  }
}
