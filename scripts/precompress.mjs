// Writes NAME.br and NAME.gz beside every .js, .wasm and .css file in a folder, so the server
// can send them as they are (tower-http's ServeDir picks them by Accept-Encoding). Removes
// compressed copies whose original is gone (cargo-leptos renames assets on every change).
// Usage: node scripts/precompress.mjs DIR [BROTLI_QUALITY]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const dir = process.argv[2];
const quality = Number(process.argv[3] ?? 11);
if (!dir || !fs.existsSync(dir)) {
  console.error(`precompress: no such folder: ${dir}`);
  process.exit(1);
}
for (const name of fs.readdirSync(dir)) {
  const file = path.join(dir, name);
  if (/\.(br|gz)$/.test(name)) {
    if (!fs.existsSync(file.replace(/\.(br|gz)$/, ''))) fs.rmSync(file);
    continue;
  }
  if (!/\.(js|wasm|css)$/.test(name)) continue;
  const source = fs.readFileSync(file);
  const stat = fs.statSync(file);
  for (const [ext, make] of [
    ['.br', () => zlib.brotliCompressSync(source, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: source.length } })],
    ['.gz', () => zlib.gzipSync(source, { level: 9 })],
  ]) {
    const target = file + ext;
    if (fs.existsSync(target) && fs.statSync(target).mtimeMs >= stat.mtimeMs) continue;
    fs.writeFileSync(target, make());
  }
}
