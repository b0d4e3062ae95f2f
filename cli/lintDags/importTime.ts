/**
 * Walks a parsed module the way Python imports it, visiting only code that runs at import
 * time: top-level statements, class bodies, decorators, default values and annotations,
 * comprehensions, `with DAG(...)` blocks and the bodies of `@dag` / `@task_group` functions
 * (Airflow calls those while parsing). Function, method, lambda and `@task` bodies are skipped,
 * as is the body of `if __name__ == "__main__":`, which never runs when Airflow imports a file.
 */
import type { Node } from "web-tree-sitter";
import { isDagBuildingDecorator, starImportedNames } from "./airflowApi";
import { Scope } from "./scope";
import { literalPrefix, namedChildren } from "./syntaxTree";

export interface ImportTimeVisitor {
  /** A call evaluated at import time, with the import paths its callee may refer to. */
  call(call: Node, calleePaths: string[]): void;
  /** A subscript read (not assigned or deleted) at import time, with the paths its object may refer to. */
  subscript(subscript: Node, objectPaths: string[]): void;
}

const COMPREHENSIONS = new Set([
  "list_comprehension",
  "set_comprehension",
  "dictionary_comprehension",
  // Lazy in Python, but at module level a generator is almost always consumed right away.
  "generator_expression",
]);

export function visitImportTimeCode(module: Node, visitor: ImportTimeVisitor): void {
  new ImportTimeWalker(visitor).runBlock(module, Scope.forModule());
}

class ImportTimeWalker {
  constructor(private readonly visitor: ImportTimeVisitor) {}

  runBlock(block: Node | null, scope: Scope): void {
    for (const statement of namedChildren(block)) this.runStatement(statement, scope);
  }

  private runStatement(statement: Node, scope: Scope): void {
    switch (statement.type) {
      case "import_statement":
        return this.bindImports(statement, scope);
      case "import_from_statement":
        return this.bindFromImports(statement, scope);
      case "expression_statement":
        return namedChildren(statement).forEach((part) => this.runExpressionStatementPart(part, scope));
      case "if_statement":
        return this.runIf(statement, scope);
      case "for_statement":
      case "while_statement":
        return this.runLoop(statement, scope);
      case "try_statement":
        return this.runTry(statement, scope);
      case "with_statement":
        return this.runWith(statement, scope);
      case "match_statement":
        return this.runMatch(statement, scope);
      case "function_definition":
        return this.defineFunction(statement, scope, false);
      case "class_definition":
        return this.defineClass(statement, scope);
      case "decorated_definition":
        return this.runDecoratedDefinition(statement, scope);
      case "delete_statement":
        return this.runDelete(statement, scope);
      // Unparsable code (reported as a syntax error), and statements that evaluate nothing at import.
      case "ERROR":
      case "future_import_statement":
      case "global_statement":
      case "nonlocal_statement":
      case "type_alias_statement":
        return;
      default:
        return this.evaluateChildren(statement, scope);
    }
  }

  private bindImports(statement: Node, scope: Scope): void {
    for (const imported of statement.childrenForFieldName("name")) {
      if (imported?.type === "aliased_import") {
        const alias = imported.childForFieldName("alias");
        const module = imported.childForFieldName("name");
        if (alias && module) scope.bindImport(alias.text, module.text);
      } else if (imported?.type === "dotted_name") {
        // `import airflow.models` binds `airflow`, and `airflow.models.X` is reached through it.
        const topLevel = imported.text.split(".")[0];
        scope.bindImport(topLevel, topLevel);
      }
    }
  }

  private bindFromImports(statement: Node, scope: Scope): void {
    // Relative module names keep their leading dots, so they never match an Airflow path.
    const module = statement.childForFieldName("module_name")?.text;
    if (!module) return;
    if (namedChildren(statement).some((child) => child.type === "wildcard_import")) {
      for (const { name, path } of starImportedNames(module)) scope.bindImport(name, path);
    }
    for (const imported of statement.childrenForFieldName("name")) {
      const original = imported?.type === "aliased_import" ? imported.childForFieldName("name") : imported;
      const bound = imported?.type === "aliased_import" ? imported.childForFieldName("alias") : imported;
      if (original && bound) scope.bindImport(bound.text, `${module}.${original.text}`);
    }
  }

  private runExpressionStatementPart(part: Node, scope: Scope): void {
    if (part.type === "assignment") return this.runAssignment(part, scope);
    if (part.type === "augmented_assignment") {
      this.evaluate(part.childForFieldName("right"), scope);
      return this.assignTarget(part.childForFieldName("left"), scope, []);
    }
    this.evaluate(part, scope);
  }

  /** `a = b = value`, `x: T = value` and bare annotations `x: T`. */
  private runAssignment(assignment: Node, scope: Scope): void {
    const targets: Node[] = [];
    let value: Node | null = assignment;
    while (value?.type === "assignment") {
      const target = value.childForFieldName("left");
      if (target) targets.push(target);
      this.evaluate(value.childForFieldName("type"), scope);
      value = value.childForFieldName("right");
    }
    if (!value) return; // an annotation alone binds nothing
    this.evaluate(value, scope);
    // `V = Variable` keeps V an alias of the import; anything else makes the name a plain value.
    const aliasedPaths = this.importPathsOf(value, scope);
    for (const target of targets) this.assignTarget(target, scope, aliasedPaths);
  }

  private assignTarget(target: Node | null, scope: Scope, aliasedPaths: string[]): void {
    if (!target) return;
    if (target.type === "identifier") return scope.bindValue(target.text, aliasedPaths);
    // Writing `obj.attr` or `obj[key]` evaluates obj and key but is not a read of the subscript.
    if (target.type === "attribute" || target.type === "subscript")
      return this.evaluateChildren(target, scope);
    for (const element of namedChildren(target)) this.assignTarget(element, scope, []);
  }

  private runIf(statement: Node, scope: Scope): void {
    const condition = statement.childForFieldName("condition");
    const alternatives = statement
      .childrenForFieldName("alternative")
      .filter((node): node is Node => node !== null);
    const bodies: (Node | null)[] = isMainGuard(condition)
      ? []
      : [statement.childForFieldName("consequence")];
    this.evaluate(condition, scope);
    for (const alternative of alternatives) {
      this.evaluate(alternative.childForFieldName("condition"), scope);
      bodies.push(alternative.childForFieldName(alternative.type === "elif_clause" ? "consequence" : "body"));
    }
    const outcomes = bodies.map((body) => this.runBranch(body, scope));
    if (!alternatives.some((alternative) => alternative.type === "else_clause")) outcomes.push(scope.fork());
    scope.joinBranches(outcomes);
  }

  private runBranch(body: Node | null, scope: Scope): Scope {
    const branch = scope.fork();
    this.runBlock(body, branch);
    return branch;
  }

  /** A loop body may run zero or more times; its `else` runs after it. */
  private runLoop(statement: Node, scope: Scope): void {
    this.evaluate(
      statement.childForFieldName(statement.type === "for_statement" ? "right" : "condition"),
      scope,
    );
    const iteration = scope.fork();
    this.assignTarget(statement.childForFieldName("left"), iteration, []);
    this.runBlock(statement.childForFieldName("body"), iteration);
    scope.joinBranches([scope.fork(), iteration]);
    this.runBlock(statement.childForFieldName("alternative")?.childForFieldName("body") ?? null, scope);
  }

  private runTry(statement: Node, scope: Scope): void {
    const completed = this.runBranch(statement.childForFieldName("body"), scope);
    // A handler may start anywhere in the body, so with the bindings from before or after it.
    const handlerEntry = scope.fork();
    handlerEntry.joinBranches([scope, completed]);
    const outcomes = [completed];
    let finallyBlock: Node | null = null;
    for (const clause of namedChildren(statement)) {
      if (clause.type === "except_clause") {
        const handled = handlerEntry.fork();
        for (const part of namedChildren(clause)) {
          if (part.type === "block") this.runBlock(part, handled);
          else if (part.type === "as_pattern") this.runAsPattern(part, handled);
          else this.evaluate(part, handled);
        }
        outcomes.push(handled);
      } else if (clause.type === "else_clause") {
        this.runBlock(clause.childForFieldName("body"), completed);
      } else if (clause.type === "finally_clause") {
        finallyBlock = namedChildren(clause).find((part) => part.type === "block") ?? null;
      }
    }
    scope.joinBranches(outcomes);
    this.runBlock(finallyBlock, scope);
  }

  private runWith(statement: Node, scope: Scope): void {
    for (const clause of namedChildren(statement).filter((child) => child.type === "with_clause")) {
      for (const item of namedChildren(clause)) {
        const value = item.childForFieldName("value");
        if (value?.type === "as_pattern") this.runAsPattern(value, scope);
        else this.evaluate(value, scope);
      }
    }
    this.runBlock(statement.childForFieldName("body"), scope);
  }

  /** `expression as target` in `with` items and `except` clauses. */
  private runAsPattern(pattern: Node, scope: Scope): void {
    for (const part of namedChildren(pattern)) {
      if (part.type === "as_pattern_target")
        namedChildren(part).forEach((target) => this.assignTarget(target, scope, []));
      else this.evaluate(part, scope);
    }
  }

  /** Case patterns are matched, not evaluated; guards and bodies are. Capture names are not tracked. */
  private runMatch(statement: Node, scope: Scope): void {
    statement.childrenForFieldName("subject").forEach((subject) => this.evaluate(subject, scope));
    const outcomes = [scope.fork()];
    for (const clause of namedChildren(statement.childForFieldName("body"))) {
      const branch = scope.fork();
      this.evaluate(clause.childForFieldName("guard"), branch);
      this.runBlock(clause.childForFieldName("consequence"), branch);
      outcomes.push(branch);
    }
    scope.joinBranches(outcomes);
  }

  private runDecoratedDefinition(statement: Node, scope: Scope): void {
    const decorators = namedChildren(statement).filter((child) => child.type === "decorator");
    decorators.forEach((decorator) => this.evaluateChildren(decorator, scope));
    const buildsDag = decorators.some((decorator) => {
      const expression = namedChildren(decorator)[0];
      const decoratorFunction =
        expression?.type === "call" ? expression.childForFieldName("function") : expression;
      return this.importPathsOf(decoratorFunction ?? null, scope).some(isDagBuildingDecorator);
    });
    const definition = statement.childForFieldName("definition");
    if (definition?.type === "class_definition") this.defineClass(definition, scope);
    else if (definition?.type === "function_definition") this.defineFunction(definition, scope, buildsDag);
  }

  private defineFunction(definition: Node, scope: Scope, bodyRunsAtParseTime: boolean): void {
    const parameters = namedChildren(definition.childForFieldName("parameters"));
    this.evaluateParameters(parameters, scope);
    this.evaluate(definition.childForFieldName("return_type"), scope);
    if (bodyRunsAtParseTime) {
      const body = scope.nestedFunction();
      for (const parameter of parameters) {
        const name = parameterName(parameter);
        if (name) body.bindValue(name);
      }
      this.runBlock(definition.childForFieldName("body"), body);
    }
    const name = definition.childForFieldName("name");
    if (name) scope.bindValue(name.text);
  }

  /** Default values and annotations are evaluated when the `def` or `lambda` runs. */
  private evaluateParameters(parameters: Node[], scope: Scope): void {
    for (const parameter of parameters) {
      this.evaluate(parameter.childForFieldName("type"), scope);
      this.evaluate(parameter.childForFieldName("value"), scope);
    }
  }

  private defineClass(definition: Node, scope: Scope): void {
    this.evaluate(definition.childForFieldName("superclasses"), scope);
    this.runBlock(definition.childForFieldName("body"), scope.nestedClassBody());
    const name = definition.childForFieldName("name");
    if (name) scope.bindValue(name.text);
  }

  private runDelete(statement: Node, scope: Scope): void {
    const deleted = namedChildren(statement);
    const targets =
      deleted.length === 1 && deleted[0].type === "expression_list" ? namedChildren(deleted[0]) : deleted;
    for (const target of targets) {
      if (target.type === "identifier") scope.unbind(target.text);
      else this.evaluateChildren(target, scope); // deleting obj[key] is not a read of it
    }
  }

  private evaluate(node: Node | null, scope: Scope): void {
    if (!node) return;
    switch (node.type) {
      case "ERROR":
        return;
      case "lambda":
        return this.evaluateParameters(namedChildren(node.childForFieldName("parameters")), scope);
      case "named_expression": {
        const value = node.childForFieldName("value");
        this.evaluate(value, scope);
        const name = node.childForFieldName("name");
        if (name) scope.bindValue(name.text, this.importPathsOf(value, scope));
        return;
      }
      case "call":
        this.visitor.call(node, this.importPathsOf(node.childForFieldName("function"), scope));
        break;
      case "subscript":
        this.visitor.subscript(node, this.importPathsOf(node.childForFieldName("value"), scope));
        break;
    }
    if (COMPREHENSIONS.has(node.type)) return this.evaluateComprehension(node, scope);
    this.evaluateChildren(node, scope);
  }

  private evaluateChildren(node: Node, scope: Scope): void {
    for (const child of namedChildren(node)) this.evaluate(child, scope);
  }

  /** Comprehensions have their own scope; only the first iterable is evaluated outside it. */
  private evaluateComprehension(comprehension: Node, scope: Scope): void {
    const inner = scope.nestedFunction();
    let isFirstIterable = true;
    for (const clause of namedChildren(comprehension)) {
      if (clause.type === "for_in_clause") {
        for (const iterable of clause.childrenForFieldName("right")) {
          if (iterable?.isNamed) this.evaluate(iterable, isFirstIterable ? scope : inner);
        }
        isFirstIterable = false;
        this.assignTarget(clause.childForFieldName("left"), inner, []);
      } else if (clause.type === "if_clause") {
        this.evaluateChildren(clause, inner);
      }
    }
    this.evaluate(comprehension.childForFieldName("body"), inner);
  }

  /** The import paths an identifier or attribute chain may refer to (`m.Variable` → `airflow.models.Variable`). */
  private importPathsOf(node: Node | null, scope: Scope): string[] {
    if (node?.type === "identifier") return scope.importPaths(node.text);
    if (node?.type === "parenthesized_expression")
      return this.importPathsOf(namedChildren(node)[0] ?? null, scope);
    if (node?.type !== "attribute") return [];
    const attribute = node.childForFieldName("attribute");
    if (!attribute) return [];
    return this.importPathsOf(node.childForFieldName("object"), scope).map(
      (path) => `${path}.${attribute.text}`,
    );
  }
}

/** `if __name__ == "__main__":` (either operand order). */
function isMainGuard(condition: Node | null): boolean {
  if (condition?.type !== "comparison_operator" || condition.child(1)?.type !== "==") return false;
  const operands = namedChildren(condition);
  if (operands.length !== 2) return false;
  const isName = (node: Node) => node.type === "identifier" && node.text === "__name__";
  const isMain = (node: Node) => {
    const literal = literalPrefix(node);
    return literal?.complete === true && literal.text === "__main__";
  };
  return (isName(operands[0]) && isMain(operands[1])) || (isMain(operands[0]) && isName(operands[1]));
}

/** The name a parameter binds: `a`, `a=1`, `a: int`, `*args`, `**kwargs`; none for `*` and `/`. */
function parameterName(parameter: Node): string | undefined {
  if (parameter.type === "identifier") return parameter.text;
  const inner = parameter.childForFieldName("name") ?? namedChildren(parameter)[0];
  return inner ? parameterName(inner) : undefined;
}
