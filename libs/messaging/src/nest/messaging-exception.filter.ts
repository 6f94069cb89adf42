import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Lets a handler's own error reach the transport. Nest's default RPC filter replaces every error with
 * "Internal server error", and the transport needs the real one: a ValidationError is dead-lettered at
 * once, anything else retried, and the dead letter's reason is its message. Install with
 * `app.useGlobalFilters(new MessagingExceptionFilter())` (createMessagingMicroservice does).
 */
@Catch()
export class MessagingExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
