/**
 * Local HTTP servers playing Alibaba Cloud SMS and Tencent Cloud SMS for tests: they check every
 * request's signature exactly as the providers document it (recomputed with the shared secret; a bad
 * one is answered like the provider does) and record what was sent. Not mocks of our code: the
 * adapters talk HTTP to them through real sockets.
 */
import { createHash, createHmac } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One accepted SendSms. */
interface ReceivedSms {
  phone: string;
  templateCode: string;
  params: unknown;
  signName: string;
  outId: string;
}

export interface FakeSmsServer {
  url: string;
  sent: ReceivedSms[];
  /** Requests whose signature did not verify. */
  badSignatures: number;
  /** Answers the next SendSms with this provider error code (then normally). */
  failNext(code: string): void;
  /** Holds SendSms answers (the message is recorded as accepted, the answer never comes) until released. */
  hold(on: boolean): void;
  /** Resolves when the next SendSms has arrived. */
  nextSend(): Promise<ReceivedSms>;
  close(): Promise<void>;
}

function base(handle: (req: IncomingMessage, body: string, res: ServerResponse, state: State) => void): Promise<FakeSmsServer> {
  const state: State = { sent: [], badSignatures: 0, failures: [], held: false, waiters: [], heldResponses: [] };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => handle(req, body, res, state));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    resolve({
      url: `http://127.0.0.1:${port}/`,
      get sent() { return state.sent; },
      get badSignatures() { return state.badSignatures; },
      failNext: (code) => { state.failures.push(code); },
      hold: (on) => {
        state.held = on;
        if (!on) for (const r of state.heldResponses.splice(0)) r();
      },
      nextSend: () => new Promise((r) => state.waiters.push(r)),
      close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
    });
  }));
}

interface State {
  sent: ReceivedSms[];
  badSignatures: number;
  failures: string[];
  held: boolean;
  waiters: ((s: ReceivedSms) => void)[];
  heldResponses: (() => void)[];
}

function accept(state: State, sms: ReceivedSms, res: ServerResponse, answer: () => void): void {
  state.sent.push(sms);
  for (const w of state.waiters.splice(0)) w(sms);
  if (state.held) state.heldResponses.push(answer);
  else answer();
  void res;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** RFC 3986 encoding as Alibaba documents it (independent of the adapter's own). */
const enc = (s: string) => encodeURIComponent(s).replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~').replace(/[!'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Alibaba Cloud Dysmsapi (SendSms, QuerySendDetails), signature v1.0 HMAC-SHA1 checked. */
export function fakeAliyun(accessKeyId: string, accessKeySecret: string): Promise<FakeSmsServer> {
  return base((req, _body, res, state) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const params = Object.fromEntries(url.searchParams);
    const canonical = Object.keys(params).filter((k) => k !== 'Signature').sort().map((k) => `${enc(k)}=${enc(params[k]!)}`).join('&');
    const expected = createHmac('sha1', `${accessKeySecret}&`).update(`GET&%2F&${enc(canonical)}`).digest('base64');
    if (params['AccessKeyId'] !== accessKeyId || params['Signature'] !== expected || params['SignatureMethod'] !== 'HMAC-SHA1'
      || params['SignatureVersion'] !== '1.0' || !params['SignatureNonce'] || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(params['Timestamp'] ?? '')) {
      state.badSignatures++;
      json(res, 400, { Code: 'SignatureDoesNotMatch', Message: 'Specified signature is not matched with our calculation.' });
      return;
    }
    if (params['Action'] === 'QuerySendDetails') {
      const dtos = state.sent.filter((s) => s.phone === params['PhoneNumber']).map((s) => ({ PhoneNum: s.phone, TemplateCode: s.templateCode, OutId: s.outId, SendStatus: 3 }));
      json(res, 200, { Code: 'OK', Message: 'OK', TotalCount: dtos.length, SmsSendDetailDTOs: { SmsSendDetailDTO: dtos } });
      return;
    }
    const failure = state.failures.shift();
    if (failure) {
      json(res, 200, { Code: failure, Message: failure, RequestId: 'r' });
      return;
    }
    const sms: ReceivedSms = {
      phone: params['PhoneNumbers'] ?? '', templateCode: params['TemplateCode'] ?? '', params: JSON.parse(params['TemplateParam'] ?? '{}'),
      signName: params['SignName'] ?? '', outId: params['OutId'] ?? '',
    };
    accept(state, sms, res, () => json(res, 200, { Code: 'OK', Message: 'OK', BizId: `biz-${state.sent.length}`, RequestId: 'r' }));
  });
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Tencent Cloud SMS 2021-01-11 SendSms, TC3-HMAC-SHA256 checked. */
export function fakeTencent(secretId: string, secretKey: string): Promise<FakeSmsServer> {
  return base((req, body, res, state) => {
    const auth = req.headers['authorization'] ?? '';
    const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/sms\/tc3_request, SignedHeaders=content-type;host, Signature=([0-9a-f]{64})$/.exec(auth);
    const timestamp = String(req.headers['x-tc-timestamp'] ?? '');
    let ok = false;
    if (m && m[1] === secretId && req.headers['x-tc-action'] === 'SendSms' && req.headers['x-tc-version'] === '2021-01-11') {
      const date = m[2]!;
      const canonical = `POST\n/\n\ncontent-type:${String(req.headers['content-type'])}\nhost:${String(req.headers['host'])}\n\ncontent-type;host\n${sha256(body)}`;
      const toSign = `TC3-HMAC-SHA256\n${timestamp}\n${date}/sms/tc3_request\n${sha256(canonical)}`;
      const h = (k: string | Buffer, s: string) => createHmac('sha256', k).update(s).digest();
      const key = h(h(h(`TC3${secretKey}`, date), 'sms'), 'tc3_request');
      ok = createHmac('sha256', key).update(toSign).digest('hex') === m[3] && new Date(Number(timestamp) * 1000).toISOString().slice(0, 10) === date;
    }
    if (!ok) {
      state.badSignatures++;
      json(res, 200, { Response: { Error: { Code: 'AuthFailure.SignatureFailure', Message: 'The provided credentials could not be validated.' }, RequestId: 'r' } });
      return;
    }
    const b = JSON.parse(body) as { PhoneNumberSet: string[]; TemplateId: string; TemplateParamSet: string[]; SignName: string; SessionContext: string };
    const failure = state.failures.shift();
    if (failure) {
      json(res, 200, { Response: { Error: { Code: failure, Message: failure }, RequestId: 'r' } });
      return;
    }
    const sms: ReceivedSms = { phone: (b.PhoneNumberSet[0] ?? '').replace(/^\+86/, ''), templateCode: b.TemplateId, params: b.TemplateParamSet, signName: b.SignName, outId: b.SessionContext };
    accept(state, sms, res, () => json(res, 200, { Response: { SendStatusSet: [{ SerialNo: `sn-${state.sent.length}`, PhoneNumber: b.PhoneNumberSet[0], Code: 'Ok', Message: 'send success', SessionContext: b.SessionContext }], RequestId: 'r' } }));
  });
}
