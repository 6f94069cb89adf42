// Loaded with `--require` (NODE_OPTIONS, service-profiles.ts) into the processes a bench starts when
// BENCH_CPU_PROFILE_DIR is set: `--cpu-prof` is refused in NODE_OPTIONS, and would profile the
// start-up and every phase at once. SIGUSR2 starts the V8 profiler (1 ms samples); the next SIGUSR2
// writes `<dir>/<BENCH_CPU_PROFILE_NAME>.<label>.cpuprofile`, the label read from `<dir>/label`
// (what the bench was measuring). Plain JavaScript: it runs before swc is registered.
'use strict';
const { Session } = require('node:inspector');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.BENCH_CPU_PROFILE_DIR;
const name = process.env.BENCH_CPU_PROFILE_NAME;
if (dir && name) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 1000 }, () => session.post('Profiler.start')));
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (error) return void process.stderr.write(`cpu profile of ${name}: ${String(error)}\n`);
      let label = 'part';
      try {
        label = readFileSync(join(dir, 'label'), 'utf8').trim() || label;
      } catch {
        // no label written: the default name
      }
      writeFileSync(join(dir, `${name}.${label}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
