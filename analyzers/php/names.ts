/**
 * PHP name resolution inside one file: the current namespace and its `use`
 * imports. Class names resolve completely here; an unqualified function name
 * in a namespace has two candidates (`ns\f`, then the global `f`) that the
 * merge step decides between with project-wide knowledge, as PHP does at run
 * time.
 */
import { NON_CLASS_TYPES } from './catalog.js';

export type Resolution = 'uqn' | 'qn' | 'fqn' | 'rn';

export class NameContext {
  /** Lower case, no leading or trailing `\`; '' for the global namespace. */
  namespace = '';
  private readonly classAliases = new Map<string, string>();
  private readonly functionAliases = new Map<string, string>();

  enterNamespace(name: string): void {
    this.namespace = stripLeading(name).toLowerCase();
    this.classAliases.clear();
    this.functionAliases.clear();
  }

  addClassImport(fullName: string, alias: string | null): void {
    const full = stripLeading(fullName).toLowerCase();
    this.classAliases.set((alias ?? lastSegment(full)).toLowerCase(), full);
  }

  addFunctionImport(fullName: string, alias: string | null): void {
    const full = stripLeading(fullName).toLowerCase();
    this.functionAliases.set((alias ?? lastSegment(full)).toLowerCase(), full);
  }

  qualify(shortName: string): string {
    const lower = shortName.toLowerCase();
    return this.namespace ? `${this.namespace}\\${lower}` : lower;
  }

  /** The fully qualified lower-case class name, or null for scalar/pseudo types and self/static/parent. */
  resolveClass(name: string, resolution: Resolution | string | undefined): string | null {
    const lower = name.toLowerCase();
    if (resolution === 'fqn' || lower.startsWith('\\')) return stripLeading(lower);
    if (resolution === 'rn') return this.qualify(lower.replace(/^namespace\\/, ''));
    const slash = lower.indexOf('\\');
    if (slash > 0) {
      const head = this.classAliases.get(lower.slice(0, slash));
      return head ? `${head}${lower.slice(slash)}` : this.qualify(lower);
    }
    if (NON_CLASS_TYPES.has(lower) || lower === 'parent') return null;
    return this.classAliases.get(lower) ?? this.qualify(lower);
  }

  /** Candidate functions in PHP's lookup order. */
  functionCandidates(name: string, resolution: Resolution | string | undefined): string[] {
    const lower = name.toLowerCase();
    if (resolution === 'fqn' || lower.startsWith('\\')) return [stripLeading(lower)];
    if (resolution === 'rn') return [this.qualify(lower.replace(/^namespace\\/, ''))];
    const slash = lower.indexOf('\\');
    if (slash > 0) {
      const head = this.classAliases.get(lower.slice(0, slash));
      return [head ? `${head}${lower.slice(slash)}` : this.qualify(lower)];
    }
    const imported = this.functionAliases.get(lower);
    if (imported) return [imported];
    return this.namespace ? [`${this.namespace}\\${lower}`, lower] : [lower];
  }
}

export function stripLeading(name: string): string {
  return name.startsWith('\\') ? name.slice(1) : name;
}

export function lastSegment(name: string): string {
  const i = name.lastIndexOf('\\');
  return i < 0 ? name : name.slice(i + 1);
}
