import type { Principal } from '@tongban/auth';
import type { intake } from '@tongban/contracts';
import type { TicketCommand } from '@tongban/domain';
import { fail } from '@tongban/runtime';

/** The channel a reporter's follow-up came through, from the caller's kind. */
function channelOf(principal: Principal): string {
  return principal.kind === 'open311' ? 'open311' : principal.kind === 'staff' ? 'proxy' : 'app';
}

/** Maps the gRPC oneof to a decider command. @throws ServiceFailure INVALID_ARGUMENT when no command is given. */
export function reporterCommand(request: intake.ExecuteReporterCommandRequest, principal: Principal): TicketCommand {
  const c = request.command;
  switch (c?.$case) {
    case 'addInformation': return { type: 'AddInformation', text: c.value.text, channel: channelOf(principal) };
    case 'close': return { type: 'CloseTicket', reason: c.value.reason };
    case 'reopen': return { type: 'ReopenTicket', reason: c.value.reason };
    case 'rate': return { type: 'RateTicket', score: c.value.score, comment: c.value.comment, ...(c.value.level ? { level: c.value.level } : {}) };
    case 'withdraw': return { type: 'WithdrawTicket', reason: c.value.reason };
    case 'follow': return { type: 'FollowTicket' };
    default: throw fail.invalid('missing_command', 'a command is required');
  }
}

