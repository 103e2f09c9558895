// npm run keys:create -- --name X --scopes generate,notebooks [--rate-limit 60]
// Creates an API key in the local D1 (.local/wrangler) and prints it once; only
// its SHA-256 is stored.
import { Command } from 'commander';
import { defaultRateLimitPerMinute, generateApiKey, insertKeySql, parseScopes } from '../src/keys.ts';
import { d1, migrate, persistTo } from './local.ts';

const program = new Command()
  .name('keys:create')
  .description('create an edge API key (printed once; only its sha256 is stored)')
  .requiredOption('--name <name>', 'who or what the key is for')
  .option('--scopes <list>', 'comma-separated: generate, notebooks, admin', 'generate')
  .option('--rate-limit <n>', 'requests per minute', String(defaultRateLimitPerMinute))
  .option('--json', 'print {id, key, scopes} as JSON');
program.parse();
const o = program.opts<{ name: string; scopes: string; rateLimit: string; json?: boolean }>();

try {
  const name = o.name.trim();
  if (name.length === 0 || name.length > 100) throw new Error('--name: 1-100 characters');
  const scopes = parseScopes(o.scopes);
  const rate = Number(o.rateLimit);
  const key = await generateApiKey();
  migrate();
  d1(insertKeySql(key, name, scopes, rate));
  if (o.json) process.stdout.write(`${JSON.stringify({ id: key.id, key: key.key, scopes, rateLimitPerMinute: rate })}\n`);
  else {
    process.stderr.write(`created key ${key.id} "${name}" (${scopes.join(', ')}; ${rate}/min) in ${persistTo}\nstore it now, it is not shown again:\n`);
    process.stdout.write(`${key.key}\n`);
  }
} catch (e) {
  process.stderr.write(`keys:create: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}
