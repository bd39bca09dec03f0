import { Server, ServerCredentials, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { identity } from '@tongban/contracts';
import type { FastifyRequest } from 'fastify';
import type { GatewayContext } from './context';
import { withStaffNamesInView } from './staff-names';

/** A real gRPC identity server answering FindStaffRole from `names` (other ids: not found), counting the calls. */
async function identityServer(names: Record<string, string>) {
  const calls: string[] = [];
  let failing = false;
  const server = new Server();
  server.addService(identity.IdentityServiceService, {
    findStaffRole: (call: { request: identity.FindStaffRoleRequest }, callback: (err: Partial<ServiceError> | null, res?: identity.FindStaffRoleResponse) => void) => {
      calls.push(call.request.staffId);
      if (failing) { callback({ code: status.UNAVAILABLE, details: 'down' }); return; }
      const name = names[call.request.staffId];
      callback(null, identity.FindStaffRoleResponse.fromPartial({ found: name !== undefined, displayName: name ?? '' }));
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  const client = new identity.IdentityServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const ctx = { clients: { identity: client }, callTimeoutMs: 2_000 } as unknown as GatewayContext;
  return {
    ctx, calls,
    fail: (on: boolean) => { failing = on; },
    close: () => { client.close(); server.forceShutdown(); },
  };
}

const reader = (kind: 'staff' | 'citizen') => ({
  id: 'req-1', caller: { token: 't', principal: { kind } }, log: { warn: () => undefined },
}) as unknown as FastifyRequest;

const view = { id: 't1', firstResponder: { unitId: 'adm-1', staffId: 's-1' }, reporter: { staffId: 's-2' } };

describe('staff names of a ticket view', () => {
  it('asks identity once per staff id within the minute: the next read is answered from the gateway\'s memory, not-found included', async () => {
    const idp = await identityServer({ 's-1': '赵敏敏' });
    try {
      const first = await withStaffNamesInView(idp.ctx, reader('staff'), view);
      expect(first).toMatchObject({ firstResponder: { staffId: 's-1', staffName: '赵敏敏' }, reporter: { staffId: 's-2' } });
      expect(first['reporter']).not.toHaveProperty('staffName');
      expect(idp.calls.sort()).toEqual(['s-1', 's-2']);
      const second = await withStaffNamesInView(idp.ctx, reader('staff'), view);
      expect(second).toEqual(first);
      expect(idp.calls).toHaveLength(2);
    } finally {
      idp.close();
    }
  });

  it('keeps no failed look-up (asked again on the next read) and asks nothing for a citizen', async () => {
    const idp = await identityServer({ 's-1': '赵敏敏' });
    try {
      idp.fail(true);
      expect(await withStaffNamesInView(idp.ctx, reader('staff'), view)).toBe(view);
      idp.fail(false);
      expect(await withStaffNamesInView(idp.ctx, reader('staff'), view)).toMatchObject({ firstResponder: { staffName: '赵敏敏' } });
      expect(idp.calls).toHaveLength(4);
      expect(await withStaffNamesInView(idp.ctx, reader('citizen'), view)).toBe(view);
      expect(idp.calls).toHaveLength(4);
    } finally {
      idp.close();
    }
  });
});
