import multipart from '@fastify/multipart';
import {
  AttachmentRejected, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS_PER_TICKET, detectImageType, prepareAttachment,
} from '@tongban/attachments';
import type { intake } from '@tongban/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type GatewayContext, callContext } from '../context';
import { unaryCall } from '../grpc-clients';
import { HttpProblem, problems } from '../problem';
import { bearerSecurity, problemResponses, ticketIdParams, type JsonSchema } from '../schemas';
import { utf8Text } from '../text';

/** Largest JSON part (`ticket`) of a multipart submission, bytes (as the JSON body limit). */
const MAX_FIELD_BYTES = 1024 * 1024;

/** An uploaded file, read into memory (≤ 5 MB) and checked by its content. */
export interface UploadedFile {
  data: Buffer;
  keepLocation: boolean;
}

/** What a multipart request carried: the files and, for a submission, the `ticket` JSON part. */
export interface MultipartUpload {
  files: UploadedFile[];
  ticketJson?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by {@link readMultipart} on multipart requests. */
    upload?: MultipartUpload;
  }
}

/** The file entry of an answer. */
export const attachmentSchema: JsonSchema = {
  type: 'object',
  required: ['sha256', 'contentType', 'size', 'url'],
  properties: {
    sha256: { type: 'string', description: 'SHA-256 of the stored (metadata-stripped) bytes.' },
    contentType: { type: 'string', enum: ['image/jpeg', 'image/png', 'image/webp'] },
    size: { type: 'integer', description: 'Stored size, bytes.' },
    url: { type: 'string', description: 'GET it here (with a token that may read the ticket).' },
  },
};

/** `/api/v1/attachments/<sha256>?ticket=<id>` (the same path the ticket view gives). */
function attachmentUrl(sha256: string, ticketId: string): string {
  return `/api/v1/attachments/${sha256}?ticket=${encodeURIComponent(ticketId)}`;
}

/**
 * Reads a multipart body: files in parts named `media` (at most 6, each ≤ 5 MB, JPEG/PNG/WebP by their
 * magic bytes and well formed — checked here with the same code intake runs, so a bad file is refused
 * before anything is written), `keep_location` = `true` to keep each photo's GPS position in its event,
 * and `ticket` (a field or a file part: the JSON submission, once, read as UTF-8 whatever charset the part declares;
 * invalid UTF-8 is refused, never replaced). Other parts are refused.
 * @throws HttpProblem 413 attachment_too_large / too_many_attachments, 415 unsupported_media_type,
 *   400 malformed_image / empty_attachment / unexpected_part / missing_media.
 */
export async function readMultipart(request: FastifyRequest, options: { ticketPart: boolean }): Promise<MultipartUpload> {
  const raw: Buffer[] = [];
  let keepLocation = false;
  let ticketJson: string | undefined;
  try {
    for await (const part of request.parts({
      limits: { fileSize: MAX_ATTACHMENT_BYTES, files: MAX_ATTACHMENTS_PER_TICKET + (options.ticketPart ? 1 : 0), fieldSize: MAX_FIELD_BYTES, parts: 16 },
      // The `ticket` part is read as bytes, as a file part is, even without a filename: a field's text is decoded
      // by busboy with U+FFFD for invalid UTF-8, in the charset the part declares (Latin-1 turned UTF-8 into
      // mojibake), or parsed as JSON when it is typed application/json (then String() of an object).
      ...(options.ticketPart ? { isPartAFile: ticketPartIsAFile } : {}),
    })) {
      if (part.type === 'field') {
        if (part.fieldname === 'keep_location') keepLocation = part.value === 'true' || part.value === '1';
        else throw problems.badRequest('unexpected_part', `unexpected form field ${part.fieldname}`);
        continue;
      }
      const isTicket = part.fieldname === 'ticket' && options.ticketPart;
      const data = await part.toBuffer().catch((err: unknown) => {
        // The ticket part is read as a file, so a file's 5 MB limit can stop it first: still the ticket's own limit.
        if (isTicket && (err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw ticketTooLarge();
        throw err;
      });
      if (isTicket) {
        if (ticketJson !== undefined) throw problems.badRequest('unexpected_part', 'the report is given in more than one part named ticket; send it once');
        if (data.length > MAX_FIELD_BYTES) throw ticketTooLarge();
        // JSON is UTF-8 (RFC 8259): read strictly whatever charset the part declares — refused, never altered.
        ticketJson = utf8Text(data, 'body/ticket');
      } else if (part.fieldname === 'media') raw.push(data);
      else throw problems.badRequest('unexpected_part', `unexpected file part ${part.fieldname} (files go in parts named media)`);
    }
  } catch (err) {
    throw multipartProblem(err);
  }
  if (raw.length > MAX_ATTACHMENTS_PER_TICKET) throw new HttpProblem(413, 'too_many_attachments', `at most ${MAX_ATTACHMENTS_PER_TICKET} files`);
  for (const data of raw) await checkFile(data);
  return { files: raw.map((data) => ({ data, keepLocation })), ...(ticketJson !== undefined ? { ticketJson } : {}) };
}

/** 413 for a ticket part over its limit (1 MiB, as a JSON body). */
function ticketTooLarge(): HttpProblem {
  return new HttpProblem(413, 'payload_too_large', `the ticket part exceeds the limit of ${MAX_FIELD_BYTES / 1024 / 1024} MiB`);
}

/**
 * busboy's file/field decision for a submission: the `ticket` part is a file (its bytes unaltered), as is
 * any part busboy reads as one by default (a filename, or application/octet-stream).
 */
function ticketPartIsAFile(fieldName: string | undefined, contentType: string | undefined, fileName: string | undefined): boolean {
  return fieldName === 'ticket' || contentType === 'application/octet-stream' || fileName !== undefined;
}

async function checkFile(data: Buffer): Promise<void> {
  if (data.length > 0 && !detectImageType(data)) {
    throw new HttpProblem(415, 'unsupported_media_type', 'only JPEG, PNG and WebP images are accepted (checked by content, not by name)');
  }
  try {
    await prepareAttachment(data);
  } catch (err) {
    if (err instanceof AttachmentRejected) {
      throw new HttpProblem(err.reason === 'attachment_too_large' ? 413 : err.reason === 'unsupported_media_type' ? 415 : 400, err.reason, err.message);
    }
    throw err;
  }
}

function multipartProblem(err: unknown): unknown {
  if (err instanceof HttpProblem) return err;
  const code = (err as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new HttpProblem(413, 'attachment_too_large', 'a file may have at most 5 MB');
  if (code === 'FST_FILES_LIMIT') return new HttpProblem(413, 'too_many_attachments', `at most ${MAX_ATTACHMENTS_PER_TICKET} files per ticket`);
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return new HttpProblem(413, 'too_many_parts', 'the form has too many parts');
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || err instanceof Error) return problems.badRequest('malformed_multipart', `the multipart body could not be read: ${(err as Error).message}`);
  return err;
}

/**
 * Sends the files to intake.AddAttachment one by one (each stored by hash and recorded in the ticket's
 * history; a file the ticket already has is not added twice).
 * @returns the attachments and the ticket's revision after the last one.
 */
export async function attachFiles(
  ctx: GatewayContext, request: FastifyRequest, ticketId: string, files: readonly UploadedFile[],
): Promise<{ attachments: { sha256: string; contentType: string; size: number; url: string }[]; revision: number | undefined }> {
  const attachments = [];
  let revision: number | undefined;
  for (const file of files) {
    const res: intake.AddAttachmentResponse = await unaryCall(ctx.clients.intake, ctx.clients.intake.addAttachment,
      { ticketId, data: file.data, keepLocation: file.keepLocation }, callContext(request), ctx.callTimeoutMs);
    attachments.push({ sha256: res.sha256, contentType: res.contentType, size: Number(res.size), url: attachmentUrl(res.sha256, ticketId) });
    revision = Number(res.revision);
  }
  return { attachments, revision };
}

/**
 * The multipart plugin (@fastify/multipart) for the scope of the routes that take files: the submission
 * (`POST /api/v1/tickets`, JSON or multipart) and `POST /api/v1/tickets/{id}/attachments`.
 */
export async function registerMultipart(scope: FastifyInstance): Promise<void> {
  await scope.register(multipart, { limits: { fileSize: MAX_ATTACHMENT_BYTES } });
}

/**
 * POST /api/v1/tickets/{id}/attachments (multipart, parts `media`): attach photos to a ticket.
 * GET /api/v1/attachments/{sha256}: a file, for those who may read a ticket holding it (a public
 * ticket's without a token); content-addressed, so cached as immutable.
 */
export function registerAttachmentRoutes(scope: FastifyInstance, ctx: GatewayContext): void {
  scope.post<{ Params: { id: string } }>('/api/v1/tickets/:id/attachments', {
    onRequest: ctx.auth.required,
    preValidation: async (request) => {
      if (!request.isMultipart()) throw new HttpProblem(415, 'unsupported_media_type', 'send the files as multipart/form-data (parts named media)');
      request.upload = await readMultipart(request, { ticketPart: false });
      if (request.upload.files.length === 0) throw problems.badRequest('missing_media', 'no file: send it in a part named media');
    },
    schema: {
      tags: ['tickets'],
      summary: 'Attach photos (multipart/form-data: parts `media`, optional field `keep_location=true`)',
      description: `JPEG, PNG or WebP (checked by content), at most ${MAX_ATTACHMENT_BYTES} bytes each and ${MAX_ATTACHMENTS_PER_TICKET} per ticket. `
        + 'Metadata (Exif, XMP, comments) is stripped on the server; with keep_location=true the photo\'s GPS position is recorded in the event '
        + '(never kept in the file). Stored by SHA-256; the event AttachmentAdded records hash, type and size. The same file twice is stored and recorded once.',
      security: bearerSecurity,
      params: ticketIdParams,
      consumes: ['multipart/form-data'],
      response: {
        201: { type: 'object', properties: { id: { type: 'string' }, revision: { type: 'integer' }, attachments: { type: 'array', items: attachmentSchema } } },
        ...problemResponses(400, 401, 403, 404, 409, 413, 415, 503),
      },
    },
  }, async (request, reply) => {
    const { attachments, revision } = await attachFiles(ctx, request, request.params.id, request.upload?.files ?? []);
    return reply.code(201).send({ id: request.params.id, revision, attachments });
  });

  scope.get<{ Params: { sha256: string }; Querystring: { ticket?: string } }>('/api/v1/attachments/:sha256', {
    onRequest: ctx.auth.optional,
    schema: {
      tags: ['tickets'],
      summary: 'An attached file by its SHA-256',
      description: 'For callers who may read a ticket it is attached to (a token), or anyone for a public ticket. '
        + '`ticket`: the ticket it was attached to (as in the ticket view\'s url), so a file added a moment ago is found at once. Unknown or not allowed: 404.',
      params: { type: 'object', required: ['sha256'], properties: { sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } } },
      querystring: { type: 'object', additionalProperties: false, properties: { ticket: ticketIdParams['properties'] ? (ticketIdParams['properties'] as Record<string, JsonSchema>)['id']! : { type: 'string' } } },
      response: { 200: { description: 'The image (image/jpeg, image/png or image/webp).', type: 'string', format: 'binary' }, ...problemResponses(400, 401, 404, 503) },
    },
  }, async (request, reply) => {
    const token = request.caller?.token;
    const res = await unaryCall(ctx.clients.query, ctx.clients.query.getAttachment,
      { sha256: request.params.sha256.toLowerCase(), ticketId: request.query.ticket ?? '' },
      { ...(token ? { token } : {}), correlationId: request.id }, ctx.callTimeoutMs);
    return reply
      .type(res.contentType)
      .header('cache-control', `${token ? 'private' : 'public'}, max-age=31536000, immutable`)
      .header('etag', `"${request.params.sha256.toLowerCase()}"`)
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', 'inline')
      .send(Buffer.from(res.data));
  });
}
