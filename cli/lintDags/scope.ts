/**
 * What each name may refer to while a module is being imported.
 *
 * A binding is the set of dotted import paths a name may hold at one point of the module
 * ("airflow.models.Variable", "os"), tracked in statement order: an unconditional rebinding
 * replaces it, a rebinding in only one branch of an `if`/`try`/loop keeps both possibilities
 * (a name counts as an Airflow object when it *may* be one).
 */

/** Marks a name bound by something other than an import: assignment, def, class, loop target. */
const NOT_IMPORTED = "<not imported>";
/** Marks a name that some branches leave unbound, so lookups may fall through to the enclosing scope. */
const MAYBE_UNBOUND = "<maybe unbound>";

type Bindings = Map<string, ReadonlySet<string>>;

export class Scope {
  private constructor(
    private bindings: Bindings,
    /** Where names not bound here are looked up: the enclosing function or module scope. */
    private readonly enclosing: Scope | undefined,
    private readonly isClassBody: boolean,
  ) {}

  static forModule(): Scope {
    return new Scope(new Map(), undefined, false);
  }

  /** The scope of a function body or comprehension defined here. */
  nestedFunction(): Scope {
    return new Scope(new Map(), this.visibleToNestedScopes(), false);
  }

  /** The scope of a class body defined here. */
  nestedClassBody(): Scope {
    return new Scope(new Map(), this.visibleToNestedScopes(), true);
  }

  /** As in Python, code nested in a class body does not see the class body's names. */
  private visibleToNestedScopes(): Scope | undefined {
    return this.isClassBody ? this.enclosing : this;
  }

  /** An independent copy for one branch of control flow. */
  fork(): Scope {
    return new Scope(new Map(this.bindings), this.enclosing, this.isClassBody);
  }

  /** Continues with what any of the branches (forks of this scope) may have bound. */
  joinBranches(branches: readonly Scope[]): void {
    const names = new Set(branches.flatMap((branch) => [...branch.bindings.keys()]));
    const joined: Bindings = new Map();
    for (const name of names) {
      const paths = new Set<string>();
      for (const branch of branches) {
        for (const path of branch.bindings.get(name) ?? [MAYBE_UNBOUND]) paths.add(path);
      }
      joined.set(name, paths);
    }
    this.bindings = joined;
  }

  bindImport(name: string, path: string): void {
    this.bindings.set(name, new Set([path]));
  }

  /** Binds a name to whatever `paths` an aliasing assignment copies, or to a non-imported value. */
  bindValue(name: string, paths: readonly string[] = []): void {
    this.bindings.set(name, new Set(paths.length > 0 ? paths : [NOT_IMPORTED]));
  }

  unbind(name: string): void {
    this.bindings.delete(name);
  }

  /** The import paths `name` may refer to here; empty for builtins, undefined and local names. */
  importPaths(name: string): string[] {
    const bound = this.bindings.get(name);
    const outer = !bound || bound.has(MAYBE_UNBOUND) ? (this.enclosing?.importPaths(name) ?? []) : [];
    const own = [...(bound ?? [])].filter((path) => path !== NOT_IMPORTED && path !== MAYBE_UNBOUND);
    return [...new Set([...own, ...outer])];
  }
}
