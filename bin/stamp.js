// What dist/ was built from: every file under src/ with its size and modification time, plus
// package.json. bin/plumage.js compares it with dist/BUILD.json before trusting dist/, on every
// start, so it is kept to one readdir per folder and one stat per file (a few milliseconds).
import fs from 'node:fs';

export function sourceStamp(root) {
  const entries = [];
  const walk = (rel) => {
    for (const e of fs.readdirSync(`${root}/${rel}`, { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else {
        const s = fs.statSync(`${root}/${p}`);
        entries.push(`${p}:${s.size}:${Math.trunc(s.mtimeMs)}`);
      }
    }
  };
  walk('src');
  const pkg = fs.statSync(`${root}/package.json`);
  entries.push(`package.json:${pkg.size}:${Math.trunc(pkg.mtimeMs)}`);
  return `${entries.sort().join('\n')}\n`;
}
