import { applyDecorators, ForbiddenException, Inject, SetMetadata, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiForbiddenResponse } from '@nestjs/swagger';

/** Set by the gateway from the API key it verified (`admin`, `service`); a service behind it trusts it, as it trusts the actor. */
export const ROLE_HEADER = 'x-clientela-role';

const ROLES = Symbol('clientela:roles');

/** Lets only callers whose key has one of these roles through; others get 403 problem+json. */
export class RoleGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<readonly string[] | undefined>(ROLES, [context.getHandler(), context.getClass()]) ?? [];
    if (roles.length === 0) return true;
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers[ROLE_HEADER];
    const role = Array.isArray(header) ? header[0] : header;
    if (role !== undefined && roles.includes(role)) return true;
    throw new ForbiddenException(`this route needs an API key with the role ${roles.join(' or ')}`);
  }
}

/** The route is for callers with one of these roles only (erasure, export: `admin`). */
export const RequireRole = (...roles: readonly string[]) => applyDecorators(SetMetadata(ROLES, roles), UseGuards(RoleGuard), ApiForbiddenResponse({ description: `needs an API key with the role ${roles.join(' or ')}` }));
