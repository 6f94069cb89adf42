// Prints one plain closing line, `jest: N passed, N failed, N skipped`, that CI reads
// whatever runner it knows. Skipped tests print their reason through their own names.
// Before it, the slowest files, to keep the whole run under its time budget.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedSuites = results.numRuntimeErrorTestSuites;
    const failed = results.numFailedTests + failedSuites;
    const slowest = results.testResults
      .map((file) => ({ path: file.testFilePath.replace(`${process.cwd()}/`, ''), seconds: (file.perfStats.end - file.perfStats.start) / 1000 }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 12);
    if (slowest.length > 1) {
      process.stdout.write(`\nslowest test files:\n${slowest.map((f) => `  ${f.seconds.toFixed(1).padStart(7)} s  ${f.path}`).join('\n')}\n`);
    }
    process.stdout.write(`\njest: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
