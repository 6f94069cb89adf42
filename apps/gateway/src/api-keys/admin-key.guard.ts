import { ForbiddenException, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { contextOf } from '../request-context';

/** The key was checked by the gateway's hook; managing keys takes an admin one. */
export class AdminKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = contextOf(context.switchToHttp().getRequest<FastifyRequest>()).principal;
    if (!principal) throw new UnauthorizedException('an X-Api-Key header is required');
    if (principal.role !== 'admin') throw new ForbiddenException('this route needs an admin API key');
    return true;
  }
}
