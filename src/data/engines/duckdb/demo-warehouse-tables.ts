/**
 * The "acme" demo warehouse, table by table: its DDL and the SQL that fills it.
 *
 * The fill statements read the session variables `demo_seed` and
 * `demo_orders` (both BIGINT), which the generator sets first. Randomness is `hash(i, seed, salt)`: DuckDB's `random()`
 * depends on which thread draws it, a hash of the row number does not, so one
 * seed gives the same rows on every run of the same DuckDB build. Each salt is
 * its own stream, so that, say, a customer's tenant and region are independent.
 * `ORDER BY` fixes the physical row order too, whatever the parallelism.
 */

export interface DemoTable {
  readonly name: string
  readonly create: string
  readonly fill: string
}

/** `hash()` is a UBIGINT; dividing by 2^64 gives a uniform double in [0, 1). */
const UNIT = '18446744073709551616.0'

/** 2024-01-01 00:00 to 2025-12-31 23:59:59, 2024 being a leap year. */
const ORDER_SECONDS = 731 * 86_400

// prettier-ignore
const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Oliver', 'Sophia', 'Elijah', 'Isabella', 'Lucas',
  'Mia', 'Mateo', 'Amelia', 'Hiroshi', 'Priya', 'Arjun', 'Chloe', 'Jonas', 'Fatima', 'Omar',
  'Lena', 'Felix', 'Sofia', 'Diego', 'Yuki', 'Wei', 'Ana', 'Carlos', 'Grace', 'Samuel',
  'Nora', 'Ibrahim', 'Zoe', 'Mohammed', 'Hannah', 'Kenji', 'Maya', 'Daniel', 'Aisha', 'Leo',
]

// prettier-ignore
const LAST_NAMES = [
  'Smith', 'Johnson', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Lopez', 'Wilson', 'Anderson',
  'Thomas', 'Moore', 'Martin', 'Lee', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Walker',
  'Young', 'Allen', 'King', 'Wright', 'Scott', 'Nguyen', 'Hill', 'Adams', 'Baker', 'Nelson',
  'Tanaka', 'Kim', 'Patel', 'Schmidt', 'Rossi', 'Dubois', 'Novak', 'Silva', 'Cohen', 'Larsen',
]

/** Category, the price range of its products, and its product nouns. */
const CATEGORIES: readonly (readonly [string, number, number, readonly string[]])[] = [
  ['Electronics', 19, 1999, ['Headphones', 'Monitor', 'Keyboard', 'Webcam', 'Speaker']],
  ['Office', 4, 399, ['Desk Chair', 'Notebook', 'Stapler', 'Desk Lamp', 'Whiteboard']],
  ['Home', 9, 499, ['Kettle', 'Blender', 'Throw Blanket', 'Cookware Set', 'Vacuum']],
  ['Outdoors', 9, 699, ['Tent', 'Backpack', 'Water Bottle', 'Camping Stove', 'Hammock']],
  ['Apparel', 9, 249, ['Rain Jacket', 'Hoodie', 'Running Shoes', 'Wool Socks', 'Beanie']],
  ['Fitness', 9, 899, ['Yoga Mat', 'Dumbbell Set', 'Jump Rope', 'Foam Roller', 'Kettlebell']],
  ['Toys', 4, 149, ['Puzzle', 'Building Blocks', 'Kite', 'Board Game', 'Plush Bear']],
  ['Garden', 4, 299, ['Hose', 'Pruning Shears', 'Planter', 'Watering Can', 'Seed Kit']],
]

const BRANDS = ['Aurora', 'Summit', 'Nimbus', 'Cedar', 'Vertex', 'Harbor', 'Orbit', 'Maple', 'Nova', 'Juniper']

// prettier-ignore
const AUDIT_ACTIONS = [
  'user.login', 'user.login', 'user.login', 'user.login', 'report.export', 'report.export', 'user.invite',
  'role.grant', 'api_key.create', 'api_key.revoke', 'billing.update', 'customer.delete', 'settings.update',
]

const CUSTOMERS = 5_000
const PRODUCTS = 200
const AUDIT_EVENTS = 1_000

/** Audit events are one per slot of this many seconds, at a random moment within it. */
const AUDIT_SLOT = Math.floor(ORDER_SECONDS / AUDIT_EVENTS)

/** The word lists are constants of this file, never input, so they are written into the SQL as literals. */
function list(values: readonly (string | number)[]): string {
  return `[${values.map((v) => (typeof v === 'number' ? String(v) : `'${v}'`)).join(', ')}]`
}

export const DEMO_TABLES: readonly DemoTable[] = [
  {
    name: 'tenants',
    create: `CREATE TABLE main.tenants (
      tenant_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, plan VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)`,
    fill: `INSERT INTO main.tenants VALUES
      ('t_globex', 'Globex Corporation', 'enterprise', TIMESTAMP '2021-03-15 09:30:00'),
      ('t_initech', 'Initech', 'pro', TIMESTAMP '2021-08-02 14:05:00'),
      ('t_umbrella', 'Umbrella Logistics', 'pro', TIMESTAMP '2022-01-20 11:45:00'),
      ('t_hooli', 'Hooli Labs', 'free', TIMESTAMP '2022-06-07 16:20:00')`,
  },
  {
    name: 'regions',
    create: 'CREATE TABLE main.regions (code VARCHAR PRIMARY KEY, name VARCHAR NOT NULL)',
    fill: `INSERT INTO main.regions VALUES
      ('EMEA', 'Europe, Middle East and Africa'), ('NA', 'North America'),
      ('APAC', 'Asia-Pacific'), ('LATAM', 'Latin America')`,
  },
  {
    // Customers sign up between the last tenant's creation and the first order (2022-07-01 to 2023-12-31).
    name: 'customers',
    create: `CREATE TABLE main.customers (
      id INTEGER PRIMARY KEY, tenant_id VARCHAR NOT NULL, name VARCHAR NOT NULL, email VARCHAR NOT NULL UNIQUE,
      phone VARCHAR NOT NULL, region VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)`,
    fill: `INSERT INTO main.customers
      SELECT id,
             CASE WHEN t < 40 THEN 't_globex' WHEN t < 70 THEN 't_initech' WHEN t < 90 THEN 't_umbrella'
                  ELSE 't_hooli' END,
             first_name || ' ' || last_name,
             lower(first_name || '.' || last_name || id || '@example.com'),
             '+1-555-' || lpad((p // 10000)::VARCHAR, 3, '0') || '-' || lpad((p % 10000)::VARCHAR, 4, '0'),
             CASE WHEN r < 35 THEN 'NA' WHEN r < 65 THEN 'EMEA' WHEN r < 90 THEN 'APAC' ELSE 'LATAM' END,
             TIMESTAMP '2022-07-01' + to_seconds((hash(id, seed, 'created') % (549 * 86400))::BIGINT)
        FROM (SELECT i::INTEGER AS id, seed,
                     hash(i, seed, 'tenant') % 100 AS t,
                     hash(i, seed, 'region') % 100 AS r,
                     hash(i, seed, 'phone') % 10000000 AS p,
                     ${list(FIRST_NAMES)}[1 + (hash(i, seed, 'first') % ${FIRST_NAMES.length})::INTEGER] AS first_name,
                     ${list(LAST_NAMES)}[1 + (hash(i, seed, 'last') % ${LAST_NAMES.length})::INTEGER] AS last_name
                FROM range(1, ${CUSTOMERS + 1}) r(i), (SELECT getvariable('demo_seed') AS seed) s)
       ORDER BY id`,
  },
  {
    // Every (category, noun, brand) is one product at most: a seeded shuffle picks which. Prices are
    // log-uniform within the category's range and end in .99.
    name: 'products',
    create: `CREATE TABLE main.products (
      id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, category VARCHAR NOT NULL, price DECIMAL(10,2) NOT NULL)`,
    fill: `INSERT INTO main.products
      SELECT id,
             ${list(BRANDS)}[b + 1] || ' ' || [${CATEGORIES.map((c) => list(c[3])).join(', ')}][c + 1][n + 1],
             ${list(CATEGORIES.map((c) => c[0]))}[c + 1],
             (round(lo * pow(hi / lo, hash(id, seed, 'price') / ${UNIT})) - 0.01)::DECIMAL(10,2)
        FROM (SELECT c::INTEGER AS c, n::INTEGER AS n, b::INTEGER AS b, seed,
                     ${list(CATEGORIES.map((c) => c[1]))}[c + 1]::DOUBLE + 1 AS lo,
                     ${list(CATEGORIES.map((c) => c[2]))}[c + 1]::DOUBLE + 1 AS hi,
                     row_number() OVER (ORDER BY hash(c, n, b, seed), c, n, b)::INTEGER AS id
                FROM range(${CATEGORIES.length}) t1(c), range(5) t2(n), range(${BRANDS.length}) t3(b),
                     (SELECT getvariable('demo_seed') AS seed) s)
       WHERE id <= ${PRODUCTS}
       ORDER BY id`,
  },
  {
    // A few customers and products sell far more than the rest (u^1.5 and u^2 skew towards low ids),
    // and orders grow over time (u^0.85 skews towards later dates), as in a real shop.
    name: 'orders',
    create: `CREATE TABLE main.orders (
      id BIGINT PRIMARY KEY, tenant_id VARCHAR NOT NULL, customer_id INTEGER NOT NULL, product_id INTEGER NOT NULL,
      region VARCHAR NOT NULL, status VARCHAR NOT NULL, quantity INTEGER NOT NULL, amount DECIMAL(12,2) NOT NULL,
      ordered_at TIMESTAMP NOT NULL)`,
    fill: `INSERT INTO main.orders
      SELECT o.id, c.tenant_id, c.id, p.id, c.region,
             CASE WHEN o.s < 62 THEN 'completed' WHEN o.s < 77 THEN 'shipped' WHEN o.s < 87 THEN 'pending'
                  WHEN o.s < 95 THEN 'cancelled' ELSE 'refunded' END,
             o.quantity,
             (p.price * o.quantity * o.discount)::DECIMAL(12,2),
             TIMESTAMP '2024-01-01' + to_seconds(floor(${ORDER_SECONDS} * pow(o.when_u, 0.85))::BIGINT)
        FROM (SELECT i AS id,
                     1 + floor(${CUSTOMERS} * pow(hash(i, seed, 'customer') / ${UNIT}, 1.5))::INTEGER AS customer_id,
                     1 + floor(${PRODUCTS} * pow(hash(i, seed, 'product') / ${UNIT}, 2))::INTEGER AS product_id,
                     hash(i, seed, 'status') % 100 AS s,
                     ${list([1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 5, 6, 10])}
                       [1 + (hash(i, seed, 'quantity') % 18)::INTEGER]::INTEGER AS quantity,
                     [1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 0.95, 0.95, 0.90, 0.90, 0.80]
                       [1 + (hash(i, seed, 'discount') % 12)::INTEGER]::DECIMAL(3,2) AS discount,
                     hash(i, seed, 'when') / ${UNIT} AS when_u
                FROM range(1, getvariable('demo_orders') + 1) r(i), (SELECT getvariable('demo_seed') AS seed) s) o
        JOIN main.customers c ON c.id = o.customer_id
        JOIN main.products p ON p.id = o.product_id
       ORDER BY o.id`,
  },
  {
    // Events are spread evenly over two years, in id order, as an append-only log is.
    // `at` is a keyword in DuckDB (time travel, `AT (VERSION => …)`), so the column is quoted wherever it is named.
    name: 'audit_trail',
    create: `CREATE TABLE main.audit_trail (
      id INTEGER PRIMARY KEY, tenant_id VARCHAR NOT NULL, actor VARCHAR NOT NULL, action VARCHAR NOT NULL,
      "at" TIMESTAMP NOT NULL)`,
    fill: `INSERT INTO main.audit_trail
      SELECT id, tenant_id,
             lower(${list(FIRST_NAMES)}[1 + (hash(id, seed, 'actor') % 8)::INTEGER]) || '@'
               || substr(tenant_id, 3) || '.example.com',
             ${list(AUDIT_ACTIONS)}[1 + (hash(id, seed, 'action') % ${AUDIT_ACTIONS.length})::INTEGER],
             TIMESTAMP '2024-01-01' + to_seconds(((id - 1) * ${AUDIT_SLOT}
               + hash(id, seed, 'at') % ${AUDIT_SLOT})::BIGINT)
        FROM (SELECT i::INTEGER AS id, seed,
                     ['t_globex', 't_initech', 't_umbrella', 't_hooli'][1 + (hash(i, seed, 'tenant') % 4)::INTEGER]
                       AS tenant_id
                FROM range(1, ${AUDIT_EVENTS + 1}) r(i), (SELECT getvariable('demo_seed') AS seed) s)
       ORDER BY id`,
  },
]
