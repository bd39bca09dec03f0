import type { routing } from '@tongban/contracts';
import type { TicketCommand, TicketState } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import { fail } from '@tongban/runtime';

/**
 * Maps the gRPC oneof of ExecuteRoutingCommand to a decider command, resolving units from reference
 * data: a transfer's department type → that type's department in the county of the ticket; an
 * escalation → the unit supervising the current holder (township → county → prefecture).
 * @throws ServiceFailure INVALID_ARGUMENT (missing_command, unknown_department, unknown_unit).
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
      if (c.value.staffId && !ref.staff.some((s) => s.id === c.value.staffId && s.unitId === c.value.unitId)) {
        throw fail.invalid('unknown_staff', `no staff member ${c.value.staffId} in unit ${c.value.unitId}`);
      }
      return { type: 'ReassignTicket', toUnitId: c.value.unitId, toUnitDivision: unit?.division ?? '', toStaffId: c.value.staffId, reason: c.value.reason };
    }
    case 'escalate': {
      const to = ticket.exists ? ref.supervisingUnit(ticket.holderUnitId) : undefined;
      return { type: 'EscalateTicket', toUnitId: to?.id ?? '', reason: c.value.reason, automatic: false };
    }
    default: throw fail.invalid('missing_command', 'a command is required');
  }
}
