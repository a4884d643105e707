// Baseline (a) of `npm run bench`: a bare Fastify server answering the two benchmarked routes
// with the same user JSON Plumage sends, doing no other work (no auth, no storage). Plain
// JavaScript so that it starts without a compiler. Usage: node baseline-fastify.mjs PORT FILE
// where FILE holds the user JSON. Prints "listening" when ready.
import fs from 'node:fs';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';

const [port, file] = process.argv.slice(2);
const user = JSON.parse(fs.readFileSync(file, 'utf8'));
const app = Fastify({ logger: false });
await app.register(formbody);
app.get('/1.1/account/verify_credentials.json', async () => user);
app.post('/1.1/account/update_profile_colors.json', async () => user);
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write('listening\n');
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => app.close().then(() => process.exit(0)));
