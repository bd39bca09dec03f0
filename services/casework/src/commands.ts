import type { casework } from '@tongban/contracts';
import type { TicketCommand } from '@tongban/domain';
import { fail } from '@tongban/runtime';

/**
 * Maps the gRPC oneof of ExecuteCaseworkCommand to a decider command.
 * @throws ServiceFailure INVALID_ARGUMENT (missing_command, invalid_due_at).
 */
export function caseworkCommand(request: casework.ExecuteCaseworkCommandRequest): TicketCommand {
  const c = request.command;
  switch (c?.$case) {
    case 'reply': return { type: 'ReplyToTicket', message: c.value.message, public: c.value.public };
    case 'note': return { type: 'AddInternalNote', text: c.value.text };
    case 'requestInformation': return { type: 'RequestInformation', question: c.value.question };
    case 'setDeadline': {
      if (!c.value.dueAt) throw fail.invalid('missing_due_at', 'dueAt is required');
      return { type: 'SetResolutionDeadline', dueAt: c.value.dueAt, reason: c.value.reason };
    }
    case 'resolve': return { type: 'ResolveTicket', resolution: c.value.resolution };
    case 'verify': return { type: 'VerifyResolution', method: c.value.method, note: c.value.note };
    case 'close': return { type: 'CloseTicket', reason: c.value.reason };
    case 'reject': return { type: 'RejectTicket', category: c.value.category, reason: c.value.reason };
    case 'markDuplicate': return { type: 'MarkDuplicate', ofTicketId: c.value.ofTicketId };
    case 'merge': return { type: 'MergeTicket', intoTicketId: c.value.intoTicketId, intoReference: '', intoStatus: '' };
    case 'callback': return { type: 'RecordCallback', reached: c.value.reached, channel: c.value.channel, rating: c.value.rating, comment: c.value.comment };
    default: throw fail.invalid('missing_command', 'a command is required');
  }
}
