/** Polls until `check` returns true; fails with `describe()` after the timeout. For tests. */
export const waitFor = async (check: () => Promise<boolean> | boolean, describe: () => Promise<string> | string, timeoutMs = 60_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
