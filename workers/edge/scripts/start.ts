// Starts the edge locally: D1 migrations, .local/edge.dev.vars (runner signing
// secret), the dev API key, then `wrangler dev` on 127.0.0.1:8787 with state in
// .local/wrangler. The runner is expected at EDGE_RUNNER_URL (default :8790).
import { spawn } from 'node:child_process';
import { ensureDevKey } from './dev-key.ts';
import { edgeDir, edgePort, persistTo, wranglerBin, wranglerEnv, writeDevVars } from './local.ts';

const vars = writeDevVars();
await ensureDevKey();
const child = spawn(
  process.execPath,
  [wranglerBin, 'dev', '--local', '--ip', '127.0.0.1', '--port', String(edgePort), '--persist-to', persistTo, '--env-file', vars, '--show-interactive-dev-session=false', '--live-reload=false'],
  { cwd: edgeDir, env: wranglerEnv(), stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
