import { SignJWT, type JWTPayload } from 'jose';
import { BearerTokens, InvalidBearerTokenError } from './bearer-tokens';

const SECRET = 'a-shared-secret-of-at-least-32-chars!';
const tokensWith = (rolesClaim: string) => new BearerTokens({ secret: SECRET, issuer: 'crm', audience: 'clientela', rolesClaim });
const sign = (claims: JWTPayload) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('crm').setAudience('clientela').setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

describe('BearerTokens', () => {
  it('reads the roles from the claim by its name, or as a path into an object, as identity providers put them', async () => {
    const roleOf = async (rolesClaim: string, claims: JWTPayload) => (await tokensWith(rolesClaim).verify(await sign({ sub: 'u', ...claims }))).role;
    expect(await roleOf('roles', { roles: ['sales', 'admin'] })).toBe('admin');
    expect(await roleOf('roles', { roles: 'sales admin' })).toBe('admin');
    expect(await roleOf('roles', { roles: ['sales'] })).toBe('service');
    expect(await roleOf('roles', { roles: 42 })).toBe('service');
    expect(await roleOf('realm_access.roles', { realm_access: { roles: ['admin'] } })).toBe('admin');
    expect(await roleOf('https://clientela.example/roles', { 'https://clientela.example/roles': ['admin'] })).toBe('admin');
    expect(await roleOf('realm_access.roles', {})).toBe('service');
  });

  it('makes the person from sub and a printable name', async () => {
    const tokens = tokensWith('roles');
    expect(await tokens.verify(await sign({ sub: 'u-1', preferred_username: 'ada', email: 'ada@example.com' }))).toEqual({ kind: 'user', id: 'u-1', name: 'ada', role: 'service', rateLimitPerSecond: null });
    expect((await tokens.verify(await sign({ sub: 'u-1', preferred_username: 'Müller', email: 'm@example.com' }))).name).toBe('m@example.com');
    await expect(tokens.verify(await sign({ sub: 'with space' }))).rejects.toBeInstanceOf(InvalidBearerTokenError);
    const forever = await new SignJWT({ sub: 'u-1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('crm').setAudience('clientela').sign(new TextEncoder().encode(SECRET));
    await expect(tokens.verify(forever)).rejects.toThrow("the token's exp claim is not accepted (missing)");
    // What counts against the client's address as a guess: a token we did not sign, not one that expired.
    const forgedness = async (token: string) => tokens.verify(token).then(() => 'accepted', (error: InvalidBearerTokenError) => error.forged);
    const expired = await new SignJWT({ sub: 'u-1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('crm').setAudience('clientela').setExpirationTime('-5m').sign(new TextEncoder().encode(SECRET));
    const foreign = await new SignJWT({ sub: 'u-1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('crm').setAudience('clientela').setExpirationTime('5m').sign(new TextEncoder().encode('x'.repeat(40)));
    expect([await forgedness(expired), await forgedness(foreign), await forgedness('garbage')]).toEqual([false, true, true]);
  });
});
