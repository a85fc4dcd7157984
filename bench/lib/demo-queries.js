// Standard-mode `query` calls on the demo project's `sales` domain, shared by the latency benches.

/** Revenue and order count by region: one aggregation over the 120,000 orders. */
export const REVENUE_BY_REGION = { domain: 'sales', dimensions: ['region'], measures: ['revenue', 'order_count'] }

/** Monthly revenue by category, EMEA, 2025: a join to products and two bound filters. */
export const MONTHLY_REVENUE_EMEA = {
  domain: 'sales',
  dimensions: ['order_date:month', 'category'],
  measures: ['revenue'],
  filters: [
    { field: 'region', op: '=', value: 'EMEA' },
    { field: 'order_date', op: 'between', value: ['2025-01-01', '2025-12-31'] },
  ],
  order_by: [{ field: 'revenue', direction: 'desc' }],
  limit: 50,
}
