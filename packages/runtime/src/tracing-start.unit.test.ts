import { hookSpanName, processNameOf, startTracing } from './tracing-start';

describe('tracing start', () => {
  it("names a process's spans after its entry point, under tsx or compiled", () => {
    expect(processNameOf('/app/services/intake/src/main.ts')).toBe('intake');
    expect(processNameOf('/app/dist/relay.js')).toBe('relay');
    expect(processNameOf('C:\\tongban\\services\\gateway\\src\\main.ts')).toBe('gateway');
    // Operator commands and other scripts are not processes of the platform.
    expect(processNameOf('/app/dist/migrate.js')).toBeUndefined();
    expect(processNameOf('/app/services/intake/src/apikey-cli.ts')).toBeUndefined();
    expect(processNameOf(undefined)).toBeUndefined();
  });

  it("names the gateway's hook spans by route or function, never by an anonymous function's source", () => {
    const request = { routeOptions: { url: '/api/v1/tickets/:id' } };
    expect(hookSpanName({ hookName: 'handler', handler: 'async (req) => {…}', request })).toBe('handler /api/v1/tickets/:id');
    expect(hookSpanName({ hookName: 'onRequest', handler: 'required', request })).toBe('onRequest required');
    expect(hookSpanName({ hookName: 'preValidation', handler: 'preValidation', request })).toBe('preValidation');
    expect(hookSpanName({ hookName: 'onRequest', handler: 'async files=>{await registerMultipart(files)} -> @fastify/multipart', request })).toBe('onRequest');
  });

  it('starts nothing without OTEL_EXPORTER_OTLP_ENDPOINT, or with a wrong OTEL_* value', () => {
    expect(startTracing({})).toBe(false);
    expect(startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBe(false);
    expect(startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toBe(false);
  });
});
