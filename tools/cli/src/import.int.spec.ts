import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { bootTestService, type TestService } from '@clientela/service-kit/testing';
// The contacts service itself, in this process: the command is tested against the real endpoint.
import { contactsService } from '../../../apps/contacts/src/contacts-service';
import { runCli } from './testing/run-cli';

describe('clientela import (against the contacts service)', () => {
  let service: TestService;
  let url: string;
  const file = (name: string, text: string) => {
    const path = join(tmpdir(), `import-${randomUUID()}-${name}`);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    service = await bootTestService(contactsService);
    await service.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(service.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await service?.close();
  });

  it('dry-runs, imports and re-imports a file, listing the refused rows with their row and column', async () => {
    const csv = file('contacts.csv', 'Mail,Name\nada@lovelace.org,Ada\nnot-an-email,Bob\ngrace@navy.mil,Grace\n');
    const mapping = file('mapping.json', JSON.stringify({ columns: { Mail: 'email', Name: 'givenName' } }));
    const args = ['import', csv, '--mapping', mapping, '--url', url, '--api-key', 'k'];

    const dry = await runCli([...args, '--dry-run'], {});
    expect(dry.stderr).toMatch(/import \|=+\| 100 % \| 3\/3 rows/);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toMatch(/^dry run: 3 rows: 2 would be created, 0 matched, 1 refused \(import [0-9a-f-]{36}\)\n {2}row 3, Mail: email is not valid\n$/);

    const real = await runCli(args, {});
    expect(real.stdout).toMatch(/^3 rows: 2 created, 0 matched, 1 refused/);
    const again = await runCli([...args, '--json'], {});
    expect(JSON.parse(again.stdout)).toMatchObject({ rowsRead: 3, created: 0, matched: 2, failed: 1, errors: [{ row: 3, field: 'Mail', message: 'email is not valid' }] });
  });

  it('sends a file in the encoding it was saved in (--encoding), and refuses one it does not know as a usage error', async () => {
    const csv = join(tmpdir(), `import-${randomUUID()}-cp1252.csv`);
    writeFileSync(csv, Buffer.from('Company,Web\r\nCaf\xe9 M\xfcller,cafe.test\r\n', 'latin1'));
    const mapping = file('mapping.json', JSON.stringify({ columns: { Company: 'name', Web: 'domain' } }));
    const args = ['import', csv, '--kind', 'accounts', '--mapping', mapping, '--url', url, '--api-key', 'k'];
    const asUtf8 = await runCli(args, {});
    expect(asUtf8.code).toBe(1);
    expect(asUtf8.stderr).toContain('the CSV is not UTF-8');
    const imported = await runCli([...args, '--encoding', 'windows-1252', '--json'], {});
    const answer = JSON.parse(imported.stdout);
    expect(answer).toMatchObject({ rowsRead: 1, created: 1, failed: 0 });
    const accounts = await fetch(`${url}/api/v1/accounts?domain=cafe.test`, { headers: { 'x-min-position': answer.position } });
    expect(((await accounts.json()) as { items: Array<{ name: string }> }).items.map((a) => a.name)).toEqual(['Café Müller']);
    const unknown = await runCli([...args, '--encoding', 'klingon'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--encoding must be a text encoding');
  });

  it('refuses a file that cannot be read as CSV with the reason, creating nothing', async () => {
    const csv = file('broken.csv', 'Mail,Name\nada@lovelace.org,"Ada\n');
    const mapping = file('mapping.json', JSON.stringify({ columns: { Mail: 'email' } }));
    const result = await runCli(['import', csv, '--mapping', mapping, '--url', url, '--api-key', 'k'], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/400.*the CSV could not be read: Quote Not Closed/);
  });

  it('says what is wrong with the mapping, as the service does', async () => {
    const csv = file('contacts.csv', 'Mail\nada@lovelace.org\n');
    const mapping = file('mapping.json', JSON.stringify({ columns: { Mail: 'mail' } }));
    const result = await runCli(['import', csv, '--mapping', mapping, '--url', url, '--api-key', 'k'], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/invalid import mapping/);
  });
});
