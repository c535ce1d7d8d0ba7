// The benchmarks start php-fpm, nginx and MariaDB exactly as the tests do,
// through the tests' own helpers (test/helpers/*.ts). They are TypeScript and
// not part of the build, so they are compiled here into .bench-tmp/.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, '.bench-tmp', 'bench-helpers');

/**
 * Compiles test/helpers/NAME.ts for each name (with what they import) and
 * imports them: `const { nginx, 'php-fpm': fpm } = await importTestHelpers('nginx', 'php-fpm')`.
 */
export async function importTestHelpers(...names) {
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--outDir', out, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--skipLibCheck', '--types', 'node',
      ...names.map((name) => path.join(root, 'test', 'helpers', `${name}.ts`))],
    { stdio: 'inherit' },
  );
  const modules = {};
  for (const name of names) modules[name] = await import(pathToFileURL(path.join(out, `${name}.js`)).href);
  return modules;
}
