/** Many distinct Postgres connections, for the env backend's size and split tests. */

/** `count` connections `conn_0…`, each with its own host, login and the password `passwordOf(i)`. */
export function manyPostgresConnections(count: number, passwordOf: (i: number) => string) {
  return Array.from({ length: count }, (_, i) => ({
    conn_id: `conn_${i}`,
    conn_type: "postgres",
    host: `db${i}.dev.internal`,
    port: 5432,
    schema: "analytics",
    login: `user_${i}`,
    password: passwordOf(i),
    extra: { sslmode: "require" },
  }));
}
