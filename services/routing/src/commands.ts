import type { routing } from '@tongban/contracts';
import type { TicketCommand, TicketState } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import { fail } from '@tongban/runtime';

/**
 * Maps the gRPC oneof of ExecuteRoutingCommand to a decider command, resolving units from reference
 * data: a transfer's department type → that type's department in the county of the ticket; an
 * escalation → the unit supervising the current holder (township → county → prefecture); a return review's
 * target unit (issue 14 item 3) → its division, for the supervisor's jurisdiction check.
 * @throws ServiceFailure INVALID_ARGUMENT (missing_command, unknown_department, unknown_unit); a reassignment's
 * person is checked afterwards (staff-check.ts).
 */
export function routingCommand(request: routing.ExecuteRoutingCommandRequest, ticket: TicketState, ref: ReferenceData): TicketCommand {
  const c = request.command;
  switch (c?.$case) {
    case 'accept': return { type: 'AcceptTicket' };
    case 'transfer': {
      const { department, unitId, reason } = c.value;
      if (department && unitId) throw fail.invalid('ambiguous_target', 'name either a department or a unit, not both');
      let toUnitId = unitId;
      if (department) {
        const unit = ticket.exists ? ref.departmentUnit(ticket.division, department) : undefined;
        if (ticket.exists && !unit) throw fail.invalid('unknown_department', `no ${department} department serves this ticket's county`);
        toUnitId = unit?.id ?? '';
      } else if (unitId && !ref.unitsById.has(unitId)) {
        throw fail.invalid('unknown_unit', `unknown unit ${unitId}`);
      }
      return { type: 'TransferTicket', toUnitId, department: department || (ref.unitsById.get(toUnitId)?.departmentType ?? ''), reason };
    }
    case 'handBack': return { type: 'HandBackTicket', findings: c.value.findings };
    case 'reassign': {
      const unit = ref.unitsById.get(c.value.unitId);
      if (c.value.unitId && !unit) throw fail.invalid('unknown_unit', `unknown unit ${c.value.unitId}`);
      // The named person (staffId) is checked by checkReassignee: a seeded identity or a person of the directory.
      return { type: 'ReassignTicket', toUnitId: c.value.unitId, toUnitDivision: unit?.division ?? '', toStaffId: c.value.staffId, reason: c.value.reason };
    }
    case 'escalate': {
      const to = ticket.exists ? ref.supervisingUnit(ticket.holderUnitId) : undefined;
      return { type: 'EscalateTicket', toUnitId: to?.id ?? '', reason: c.value.reason, automatic: false };
    }
    case 'returnTicket':
      return { type: 'ReturnTicket', reasonCode: c.value.reasonCode, reason: c.value.reason, legalBasis: c.value.legalBasis };
    case 'reviewReturn': {
      const unit = c.value.unitId ? ref.unitsById.get(c.value.unitId) : undefined;
      if (c.value.approve && c.value.unitId && !unit) throw fail.invalid('unknown_unit', `unknown unit ${c.value.unitId}`);
      return { type: 'ReviewReturn', approve: c.value.approve, toUnitId: c.value.approve ? c.value.unitId : '', toUnitDivision: unit?.division ?? '', reason: c.value.reason };
    }
    default: throw fail.invalid('missing_command', 'a command is required');
  }
}
