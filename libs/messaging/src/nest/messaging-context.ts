import { BaseRpcContext } from '@nestjs/microservices';
import type { PoolClient } from 'pg';
import type { HandlerContext } from '../consumer/message-processor';
import type { IncomingMessage } from '../message';

/** What an `@EventPattern` handler gets with `@Ctx()`: the transaction its effect belongs in, and the message. */
export class MessagingContext extends BaseRpcContext<[HandlerContext]> {
  constructor(context: HandlerContext) {
    super([context]);
  }

  /** Write the effect here: it commits together with the record that the event was handled. */
  get tx(): PoolClient {
    return this.args[0].tx;
  }

  get message(): IncomingMessage {
    return this.args[0].message;
  }

  get attempt(): number {
    return this.args[0].attempt;
  }

  get consumer(): string {
    return this.args[0].consumer;
  }
}
