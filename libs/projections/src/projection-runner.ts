// The runner is split by responsibility in runner/; this path stays for the code and specs that import it.
export * from './runner';
