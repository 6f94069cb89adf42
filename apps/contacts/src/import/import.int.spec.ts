import request from 'supertest';
import { bootTestService, type TestService } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';

// 100,000 contacts from a CSV generated here, 1 % of the rows bad, each bad in one of ten ways: the
// dry run lists exactly the bad rows with their errors and creates nothing; the real run creates the
// rest; a second run creates nothing. One booted service for the file.
const ROWS = 100_000;
const header = ['Customer no', 'First name', 'Last name', 'E-mail', 'Phone', 'Language', 'Country', 'Stage', 'Birthday', 'Tags'];
const mapping = {
  columns: {
    'Customer no': 'externalId',
    'First name': 'givenName',
    'Last name': 'familyName',
    'E-mail': 'email',
    Phone: 'phone',
    Language: 'language',
    Country: 'country',
    Stage: 'lifecycleStage',
    Birthday: 'custom:birthday',
    Tags: 'tags',
  },
  source: 'legacy-crm',
};

type Row = Record<(typeof header)[number], string>;
interface Expected {
  row: number;
  field: string;
  message: string;
}

/** The ten ways a row is bad here, each with the one error it must get. */
const BAD: Array<(row: Row) => { row: Row; field: string; message: string }> = [
  (r) => ({ row: { ...r, 'E-mail': 'not-an-email' }, field: 'E-mail', message: 'email is not valid' }),
  (r) => ({ row: { ...r, 'Customer no': '', 'First name': '', 'Last name': '', 'E-mail': '', Phone: '' }, field: 'row', message: 'a row needs an email, a phone or an external id' }),
  (r) => ({ row: { ...r, Phone: '12' }, field: 'Phone', message: 'phone is not valid' }),
  (r) => ({ row: { ...r, Birthday: '2024-13-45' }, field: 'Birthday', message: 'birthday must be a date as YYYY-MM-DD' }),
  (r) => ({ row: { ...r, Language: 'english!' }, field: 'Language', message: 'language must be a language tag such as en or pt-BR' }),
  (r) => ({ row: { ...r, Country: 'XX' }, field: 'Country', message: 'country must be an ISO 3166 alpha-2 code such as DE' }),
  (r) => ({ row: { ...r, Stage: 'vip' }, field: 'Stage', message: 'lifecycleStage must be one of subscriber, lead, mql, sql, opportunity, customer, evangelist, churned' }),
  (r) => ({ row: { ...r, 'Customer no': '', 'E-mail': 'test@test.com' }, field: 'E-mail', message: 'email is a placeholder or blocked' }),
  (r) => ({ row: { ...r, Tags: 'gold;!!' }, field: 'Tags', message: 'tags are separated by ; and each must be letters, digits and . _ : / @ + -' }),
  (r) => ({ row: { ...r, 'First name': 'A'.repeat(101) }, field: 'First name', message: 'givenName must be at most 100 characters' }),
];

const cell = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** The file, and the errors its bad rows must get (row numbers as a spreadsheet's: the header is 1). */
const generate = (): { csv: string; expected: Expected[] } => {
  const lines = [header.join(',')];
  const expected: Expected[] = [];
  for (let i = 0; i < ROWS; i++) {
    const good: Row = {
      'Customer no': i % 5 === 0 ? `C${i}` : '',
      'First name': `Given${i}`,
      'Last name': `O'Family, ${i}`,
      'E-mail': `person.${i}@mail${i % 97}.org`,
      Phone: i % 10 === 3 ? `+4930${String(2_000_000 + i)}` : '',
      Language: i % 7 === 0 ? 'pt-BR' : '',
      Country: i % 3 === 0 ? 'de' : '',
      Stage: i % 11 === 0 ? 'lead' : '',
      Birthday: i % 10 === 1 ? `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}` : '',
      Tags: i % 10 === 2 ? 'newsletter; vip' : '',
    };
    let row = good;
    if (i % 100 === 42) {
      const bad = BAD[(i / 100) % BAD.length | 0](good);
      row = bad.row;
      expected.push({ row: i + 2, field: bad.field, message: bad.message });
    }
    lines.push(header.map((h) => cell(row[h])).join(','));
  }
  return { csv: `${lines.join('\r\n')}\r\n`, expected };
};

describe('CSV import of contacts', () => {
  let service: TestService;
  const api = () => request(service.server);
  const { csv, expected } = generate();
  const registered = async () => Number((await service.infra.pool.query("select count(*) from event_store.events where type = 'ContactRegistered'")).rows[0].count);
  const run = (dryRun: boolean) =>
    api().post(`/api/v1/imports?kind=contacts&dryRun=${dryRun}&mapping=${encodeURIComponent(JSON.stringify(mapping))}`).set('content-type', 'text/csv').send(csv);
  const allErrors = async (id: string, position: string) => {
    const errors: Expected[] = [];
    let cursor: string | undefined;
    do {
      const page = (await api().get(`/api/v1/imports/${id}/errors`).query({ limit: 200, ...(cursor ? { cursor } : {}) }).set('x-min-position', position).expect(200)).body;
      errors.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return errors;
  };

  beforeAll(async () => {
    service = await bootTestService(contactsService);
    await api().post('/api/v1/custom-fields').send({ key: 'birthday', label: 'Birthday', type: 'date' }).expect(201);
  });
  afterAll(async () => {
    await service?.close();
  });

  it('dry run: lists exactly the bad rows with their errors, and creates nothing', async () => {
    expect(expected).toHaveLength(ROWS / 100);
    const answer = await run(true).expect(201);
    expect(answer.body).toMatchObject({ kind: 'contacts', dryRun: true, status: 'finished', rowsRead: ROWS, created: ROWS - expected.length, matched: 0, failed: expected.length });
    expect(await allErrors(answer.body.id, answer.headers['x-position'])).toEqual(expected);
    const csvErrors = await api().get(`/api/v1/imports/${answer.body.id}/errors`).set('accept', 'text/csv').expect(200);
    expect(csvErrors.text.trim().split('\n')).toHaveLength(expected.length + 1);
    expect(await registered()).toBe(0);
  }, 600_000);

  it('real run: creates the rest through identity resolution, reporting progress after every 1,000 rows', async () => {
    const answer = await run(false).expect(201);
    expect(answer.body).toMatchObject({ dryRun: false, status: 'finished', rowsRead: ROWS, created: ROWS - expected.length, matched: 0, failed: expected.length });
    expect(await registered()).toBe(ROWS - expected.length);
    const job = (await api().get(`/api/v1/imports/${answer.body.id}`).set('x-min-position', answer.headers['x-position']).expect(200)).body;
    expect(job).toMatchObject({ status: 'finished', rowsRead: ROWS, created: ROWS - expected.length, failed: expected.length, mapping });
    const progress = await service.infra.pool.query("select count(*)::int as n from event_store.events where stream_id = $1 and type = 'ContactImportRowsProcessed'", [`contactImport-${answer.body.id}`]);
    expect(progress.rows[0].n).toBe(ROWS / 1_000);
    expect(await allErrors(answer.body.id, answer.headers['x-position'])).toEqual(expected);

    // One row as it was imported: its profile, identities, tags and custom value.
    const found = (await api().get('/api/v1/contacts').query({ email: 'person.12@mail12.org' }).set('x-min-position', answer.headers['x-position']).expect(200)).body.items;
    expect(found).toEqual([
      expect.objectContaining({ givenName: 'Given12', familyName: "O'Family, 12", emails: ['person.12@mail12.org'], tags: ['newsletter', 'vip'], identities: [], lifecycleStage: 'subscriber' }),
    ]);
    const withId = (await api().get('/api/v1/contacts').query({ email: 'person.0@mail0.org' }).expect(200)).body.items[0];
    expect(withId).toMatchObject({ identities: [{ source: 'legacy-crm', externalId: 'C0' }], language: 'pt-BR', lifecycleStage: 'lead', address: expect.objectContaining({ country: 'DE' }) });
  }, 600_000);

  it('second run: creates nothing, every good row matched', async () => {
    const answer = await run(false).expect(201);
    expect(answer.body).toMatchObject({ status: 'finished', rowsRead: ROWS, created: 0, matched: ROWS - expected.length, failed: expected.length });
    expect(await registered()).toBe(ROWS - expected.length);
  }, 600_000);

  it('refuses a bad mapping, a header without a mapped column and a body that is not CSV, creating no job', async () => {
    const bad = await api().post(`/api/v1/imports?kind=contacts&mapping=${encodeURIComponent('{"columns":{"E-mail":"mail"}}')}`).set('content-type', 'text/csv').send('E-mail\na@b.org\n').expect(400);
    expect(bad.body.violations.map((v: { path: string }) => v.path)).toEqual(['mapping.columns.E-mail', 'mapping.columns']);
    const missing = await api().post(`/api/v1/imports?kind=contacts&mapping=${encodeURIComponent('{"columns":{"Mail":"email"}}')}`).set('content-type', 'text/csv').send('E-mail\na@b.org\n').expect(400);
    expect(missing.body.violations).toEqual([{ path: 'mapping.columns.Mail', constraints: { header: 'no column Mail in the CSV header' } }]);
    await api().post(`/api/v1/imports?kind=contacts&mapping=${encodeURIComponent('{"columns":{"E-mail":"email"}}')}`).send({ rows: [] }).expect(400);
    await api().post('/api/v1/imports?kind=contacts').set('content-type', 'text/csv').send('E-mail\n').expect(400);
    // Saved as Latin-1 ("Müller" with the byte FC): refused, not imported as "M\ufffdller".
    const latin1 = await api()
      .post(`/api/v1/imports?kind=contacts&mapping=${encodeURIComponent('{"columns":{"E-mail":"email","Name":"familyName"}}')}`)
      .set('content-type', 'text/csv')
      .send(Buffer.from('E-mail,Name\nm@latin.org,M\xfcller\n', 'latin1'))
      .expect(400);
    expect(latin1.body).toMatchObject({ code: 'unreadable_csv', violations: [{ path: 'body', constraints: { encoding: expect.stringContaining('not UTF-8') } }] });
    expect(latin1.body.detail).toContain('charset=windows-1252');
    const noName = await api().post(`/api/v1/imports?kind=accounts&mapping=${encodeURIComponent('{"columns":{"Web":"domain"}}')}`).set('content-type', 'text/csv').send('Web\n').expect(400);
    expect(noName.body.violations).toEqual([{ path: 'mapping.columns', constraints: { name: 'map the name: every account has one' } }]);
    const jobs = (await api().get('/api/v1/imports').query({ kind: 'contacts' }).expect(200)).body.items;
    expect(jobs).toHaveLength(3);
  });

  it('imports accounts keyed by domain, else name: bad rows listed, known ones matched, a re-run creates nothing', async () => {
    const existing = await api().post('/api/v1/accounts').send({ name: 'Initech', domain: 'initech.example.com' }).expect(201);
    const accountsCsv = [
      'Company,Web,Size,Country',
      'Acme,https://www.acme.test/about,11-50,us',
      'Acme again,acme.test,,',
      'Globex,,5000+,DE',
      ',nameless.test,,',
      'Bad web,not a domain,,',
      'Too big,big.test,huge,',
      'Initech Ltd,initech.example.com,,',
    ].join('\n');
    const accounts = (dryRun: boolean) =>
      api()
        .post(`/api/v1/imports?kind=accounts&dryRun=${dryRun}&mapping=${encodeURIComponent(JSON.stringify({ columns: { Company: 'name', Web: 'domain', Size: 'size', Country: 'country' } }))}`)
        .set('content-type', 'text/csv')
        .send(accountsCsv)
        .expect(201);
    const registeredAccounts = async () => Number((await service.infra.pool.query("select count(*) from event_store.events where type = 'AccountRegistered'")).rows[0].count);
    const expectedErrors = [
      { row: 5, field: 'row', message: 'an account needs a name' },
      { row: 6, field: 'Web', message: 'domain must be a domain name such as example.com' },
      { row: 7, field: 'Size', message: 'size must be one of 1-10, 11-50, 51-200, 201-1000, 1001-5000, 5000+' },
    ];
    // Initech is known by its domain once the read model has it.
    await api().get(`/api/v1/accounts/${existing.body.id}`).set('x-min-position', existing.headers['x-position']).expect(200);

    const dry = await accounts(true);
    expect(dry.body).toMatchObject({ kind: 'accounts', rowsRead: 7, created: 2, matched: 2, failed: 3 });
    expect(await allErrors(dry.body.id, dry.headers['x-position'])).toEqual(expectedErrors);
    expect(await registeredAccounts()).toBe(1);

    const real = await accounts(false);
    expect(real.body).toMatchObject({ rowsRead: 7, created: 2, matched: 2, failed: 3 });
    expect(await registeredAccounts()).toBe(3);
    const acme = (await api().get('/api/v1/accounts').query({ domain: 'acme.test' }).set('x-min-position', real.headers['x-position']).expect(200)).body.items;
    expect(acme).toEqual([expect.objectContaining({ name: 'Acme', domain: 'acme.test', size: '11-50' })]);

    // At once, before the read model may have the new accounts: the store's no_stream still matches them.
    const again = await accounts(false);
    expect(again.body).toMatchObject({ created: 0, matched: 4, failed: 3 });
    expect(await registeredAccounts()).toBe(3);
  });

  it('reads a CSV in the charset its Content-Type names (Windows-1252, UTF-16), and refuses one it cannot decode with 415', async () => {
    const mapping = encodeURIComponent(JSON.stringify({ columns: { Company: 'name', Web: 'domain' } }));
    const send = (contentType: string, body: Buffer) => api().post(`/api/v1/imports?kind=accounts&mapping=${mapping}`).set('content-type', contentType).send(body);
    // As Excel saves on Windows: "ü" is the byte FC, "€" the byte 80 (not Latin-1's control character).
    const cp1252 = await send('text/csv; charset=windows-1252', Buffer.from([...Buffer.from('Company,Web\r\nM'), 0xfc, ...Buffer.from('ller '), 0x80, ...Buffer.from(' GmbH,mueller.test\r\n')])).expect(201);
    expect(cp1252.body).toMatchObject({ rowsRead: 1, created: 1, failed: 0 });
    const utf16 = await send('text/csv; charset="UTF-16LE"', Buffer.from('\ufeffCompany,Web\nÆrø Shipping 船,aero.test\n', 'utf16le')).expect(201);
    expect(utf16.body).toMatchObject({ rowsRead: 1, created: 1, failed: 0 });
    const names = async (domain: string, position: string) => (await api().get('/api/v1/accounts').query({ domain }).set('x-min-position', position).expect(200)).body.items.map((a: { name: string }) => a.name);
    expect(await names('mueller.test', cp1252.headers['x-position'])).toEqual(['Müller € GmbH']);
    expect(await names('aero.test', utf16.headers['x-position'])).toEqual(['Ærø Shipping 船']);

    const unknown = await send('text/csv; charset=x-klingon', Buffer.from('Company,Web\nK,k.test\n')).expect(415);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    expect(unknown.body).toMatchObject({ status: 415, detail: expect.stringContaining("charset is not one this service can read") });
    // Not valid in the charset it names: refused with where, nothing created.
    const broken = await send('text/csv; charset=utf-16le', Buffer.from([0x43, 0x00, 0x2c, 0x00, 0x00, 0xdc, 0x0a, 0x00])).expect(400);
    expect(broken.body).toMatchObject({ code: 'unreadable_csv', violations: [{ path: 'body', constraints: { encoding: expect.stringContaining('not utf-16le') } }] });
  });
});
