/**
 * A stand-in for an OpenTelemetry Collector: a real HTTP server taking `POST /v1/traces` in OTLP/HTTP,
 * JSON (`application/json`) or protobuf (`application/x-protobuf`, read field by field with
 * @bufbuild/protobuf's wire reader after opentelemetry/proto/trace/v1/trace.proto), keeping every span.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BinaryReader, type WireType } from '@bufbuild/protobuf/wire';

/** One received span: ids in lowercase hex, times in ms since the epoch (fractional). */
export interface CollectedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Record<string, string | number | boolean>;
}

/** The running stand-in. */
export interface OtlpCollector {
  /** `http://127.0.0.1:<port>`: the value of OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  /** Every span received so far. */
  spans(): CollectedSpan[];
  /** Content types of the requests received (`application/json`, `application/x-protobuf`). */
  contentTypes(): string[];
  close(): Promise<void>;
}

/** Starts the stand-in on a free loopback port. */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: CollectedSpan[] = [];
  const types: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      try {
        const body = Buffer.concat(chunks);
        spans.push(...(type === 'application/json' ? fromJson(JSON.parse(body.toString('utf8'))) : fromProtobuf(new Uint8Array(body))));
        types.push(type);
        res.writeHead(200, { 'content-type': type }).end(type === 'application/json' ? '{}' : undefined);
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => [...spans],
    contentTypes: () => [...types],
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

type JsonValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type JsonAttribute = { key: string; value: JsonValue };

function jsonAttributes(list: JsonAttribute[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, a.value.stringValue ?? a.value.boolValue ?? Number(a.value.intValue ?? a.value.doubleValue)]));
}

/** OTLP/JSON: ids are hex strings, times decimal nanoseconds (strings or numbers). */
function fromJson(body: any): CollectedSpan[] {
  const nanosToMs = (n: string | number) => Number(BigInt(n) / 1000n) / 1000;
  return (body.resourceSpans ?? []).flatMap((rs: any) => {
    const service = String(jsonAttributes(rs.resource?.attributes)['service.name'] ?? '');
    return (rs.scopeSpans ?? []).flatMap((ss: any) => (ss.spans ?? []).map((s: any): CollectedSpan => ({
      service, name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', kind: s.kind ?? 0,
      startMs: nanosToMs(s.startTimeUnixNano), endMs: nanosToMs(s.endTimeUnixNano), attributes: jsonAttributes(s.attributes),
    })));
  });
}

/** Calls `field` for each field of the message in `bytes` (a length-delimited field's reader is positioned on its content). */
function eachField(bytes: Uint8Array, field: (no: number, reader: BinaryReader, wire: WireType) => void): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [no, wire] = reader.tag();
    const start = reader.pos;
    field(no, reader, wire);
    if (reader.pos === start) reader.skip(wire, no);
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function protoAttribute(bytes: Uint8Array): [string, string | number | boolean] {
  let key = '';
  let value: string | number | boolean = '';
  eachField(bytes, (no, r) => {
    if (no === 1) key = r.string();
    if (no === 2) {
      eachField(r.bytes(), (vno, v) => {
        if (vno === 1) value = v.string();
        else if (vno === 2) value = v.bool();
        else if (vno === 3) value = Number(v.int64());
        else if (vno === 4) value = v.double();
      });
    }
  });
  return [key, value];
}

/** OTLP/protobuf ExportTraceServiceRequest → ResourceSpans(1) → {Resource(1), ScopeSpans(2) → Span(2)}. */
function fromProtobuf(body: Uint8Array): CollectedSpan[] {
  const spans: CollectedSpan[] = [];
  eachField(body, (no, r) => {
    if (no !== 1) return;
    let service = '';
    const pending: Omit<CollectedSpan, 'service'>[] = [];
    eachField(r.bytes(), (rno, rr) => {
      if (rno === 1) eachField(rr.bytes(), (ano, ar) => { if (ano === 1) { const [k, v] = protoAttribute(ar.bytes()); if (k === 'service.name') service = String(v); } });
      if (rno === 2) {
        eachField(rr.bytes(), (sno, sr) => {
          if (sno !== 2) return;
          const span: Omit<CollectedSpan, 'service'> = { name: '', traceId: '', spanId: '', parentSpanId: '', kind: 0, startMs: 0, endMs: 0, attributes: {} };
          eachField(sr.bytes(), (f, x) => {
            if (f === 1) span.traceId = hex(x.bytes());
            else if (f === 2) span.spanId = hex(x.bytes());
            else if (f === 4) span.parentSpanId = hex(x.bytes());
            else if (f === 5) span.name = x.string();
            else if (f === 6) span.kind = x.int32();
            else if (f === 7) span.startMs = Number(BigInt(x.fixed64()) / 1000n) / 1000;
            else if (f === 8) span.endMs = Number(BigInt(x.fixed64()) / 1000n) / 1000;
            else if (f === 9) { const [k, v] = protoAttribute(x.bytes()); span.attributes[k] = v; }
          });
          pending.push(span);
        });
      }
    });
    spans.push(...pending.map((s) => ({ ...s, service })));
  });
  return spans;
}
