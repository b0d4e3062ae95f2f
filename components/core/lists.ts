/**
 * Lists of trusted names (service accounts, audiences, subjects, prefixes): an empty list is refused
 * rather than read as "no limit", then each item is checked at its own field path.
 */
import { Problems } from "../airflow/problems";

/** Records `emptyRule` at `path` unless `list` is a non-empty array, then runs `checkItem` on each item at `path[i]`. */
export function checkEachOfNonEmptyList<T>(
  list: readonly T[] | undefined,
  path: string,
  emptyRule: string,
  problems: Problems,
  checkItem: (item: T, itemPath: string) => unknown,
): void {
  if (problems.check(Array.isArray(list) && list.length > 0, path, emptyRule))
    (list as readonly T[]).forEach((item, i) => checkItem(item, `${path}[${i}]`));
}
