import Fastify from 'fastify';
import { Pool } from 'pg';
import { BARE_ROW_SQL } from './bare-row';

/**
 * The limit of the customer view's figure: a bare Fastify route answering one customer's row of the
 * customer view's read model with one SELECT by primary key (a prepared statement), no framework, no
 * gateway, no validation. Its own process, as the service is. Env: DATABASE_URL, PORT.
 */
// The pool's size is the services' (libs/service-kit's service-infrastructure.ts).
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/customers/:id', async (request, reply) => {
  const { rows } = await pool.query({ name: 'customer-row', text: BARE_ROW_SQL, values: [request.params.id] });
  if (rows.length === 0) return reply.code(404).send({ status: 404 });
  return rows[0];
});

app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) }).then(
  () => process.stdout.write('bare row server listening\n'),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
