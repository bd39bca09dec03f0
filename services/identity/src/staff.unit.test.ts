import { deciderSpec } from '@tongban/testing/decider-spec';
import { StaffRejection, decideStaff, evolveStaff, initialStaffState, type StaffCommand, type StaffEvent, type StaffState } from './staff';

/** Given events, when a command, then events (or a rejection): the shared decider-spec. */
const { given } = deciderSpec({
  initialState: () => initialStaffState('s1'),
  evolve: evolveStaff,
  decide: (command: StaffCommand, state: StaffState) => decideStaff(command, state),
  isRejection: (error) => error instanceof StaffRejection,
});
const created: StaffEvent = { type: 'StaffAccountCreated', data: { staffId: 's1', username: 'wang.li', displayName: '王丽', division: '513437100' } };
const admin: StaffEvent = { type: 'StaffRoleGranted', data: { roleId: 'r1', role: 'admin', unitId: 'adm-513437100', division: '513437100' } };

it('creates an account once, with a checked username', () => {
  given().when({ type: 'CreateAccount', staffId: 's1', username: 'wang.li', displayName: ' 王丽 ', division: '513437100' })
    .then([{ type: 'StaffAccountCreated', data: { staffId: 's1', username: 'wang.li', displayName: '王丽', division: '513437100' } }]);
  given(created).when({ type: 'CreateAccount', staffId: 's1', username: 'x.y', displayName: 'x', division: '5134' }).thenRejects(StaffRejection);
  given().when({ type: 'CreateAccount', staffId: 's1', username: 'A B', displayName: 'x', division: '5134' }).thenRejects(/username/);
});

it('refuses display names with control, bidirectional-override or zero-width characters', () => {
  const create = (displayName: string) => ({ type: 'CreateAccount' as const, staffId: 's1', username: 'wang.li', displayName, division: '513437100' });
  given().when(create('王\u202E丽')).thenRejects(/U\+202E/);
  given().when(create('王\u200B丽')).thenRejects(/U\+200B/);
  given().when(create('王丽\u0007')).thenRejects(/U\+0007/);
  given().when(create('\u200B')).thenRejects(/invisible/);
  given(created).when({ type: 'UpdateAccount', displayName: 'ꆈꌠ\u2066x' }).thenRejects(/U\+2066/);
  given().when(create('ꀉꂿ ꆈꌠ')).then([{ type: 'StaffAccountCreated', data: { staffId: 's1', username: 'wang.li', displayName: 'ꀉꂿ ꆈꌠ', division: '513437100' } }]);
});

it('grants a role once per unit and revokes only held roles', () => {
  const { state } = given(created, admin);
  expect(state.roles).toEqual([{ roleId: 'r1', role: 'admin', unitId: 'adm-513437100', division: '513437100' }]);
  given(created, admin).when({ type: 'GrantRole', grant: { roleId: 'r2', role: 'admin', unitId: 'adm-513437100', division: '513437100' } }).thenRejects(/already holds/);
  given(created, admin).when({ type: 'RevokeRole', roleId: 'r1' }).then([{ type: 'StaffRoleRevoked', data: { roleId: 'r1' } }]);
  given(created, admin).when({ type: 'RevokeRole', roleId: 'nope' }).thenRejects(/holds no role/);
  expect(given(created, admin, { type: 'StaffRoleRevoked', data: { roleId: 'r1' } }).state.roles).toEqual([]);
});

it('disables and re-enables idempotently; a password set records only that it happened', () => {
  const disabled: StaffEvent = { type: 'StaffAccountDisabled', data: {} };
  expect(given(created, disabled).state.disabled).toBe(true);
  given(created, disabled).when({ type: 'DisableAccount' }).then([]);
  given(created, disabled).when({ type: 'EnableAccount' }).then([{ type: 'StaffAccountEnabled', data: {} }]);
  const after = given(created).when({ type: 'SetPassword', reason: 'reset', mustChange: true })
    .then([{ type: 'StaffPasswordSet', data: { reason: 'reset', mustChange: true } }]);
  expect(after.mustChangePassword).toBe(true);
});

it('refuses commands on an account that does not exist', () => {
  given().when({ type: 'EnableAccount' }).thenRejects(/no staff account/);
});

it('unlinks the single sign-on identity of an issuer, recording which subject it was', () => {
  const link: StaffEvent = { type: 'StaffOidcLinked', data: { issuer: 'https://idp.example', subject: 'sub-1' } };
  const unlink: StaffEvent = { type: 'StaffOidcUnlinked', data: { issuer: 'https://idp.example', subject: 'sub-1' } };
  given(created, link).when({ type: 'UnlinkOidc', issuer: 'https://idp.example' }).then([unlink]);
  expect(given(created, link, unlink).state.oidc).toEqual([]);
  given(created, link, unlink).when({ type: 'UnlinkOidc', issuer: 'https://idp.example' }).thenRejects(/no single sign-on link/);
  expect(() => decideStaff({ type: 'UnlinkOidc', issuer: 'https://idp.example' }, given(created, link, unlink).state))
    .toThrow(expect.objectContaining({ reason: 'oidc_link_not_found', kind: 'not_found' }));
});
