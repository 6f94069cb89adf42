import { ForbiddenException, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { contextOf } from '../request-context';

/** The credential was checked by the gateway's hook; managing keys and the admin operations take an admin. */
export class AdminKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = contextOf(context.switchToHttp().getRequest<FastifyRequest>()).principal;
    if (!principal) throw new UnauthorizedException('an X-Api-Key header is required');
    if (principal.role !== 'admin') throw new ForbiddenException('this route needs an admin: an admin API key, or a person whose token has the admin role');
    return true;
  }
}
