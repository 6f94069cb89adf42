/**
 * The statement of the customer view's limit: one customer's row of the view's read model by primary
 * key. The bare row server answers with it; view-sections.js measures it beside the view's own.
 */
export const BARE_ROW_SQL = 'select * from proj_analytics_customer_contacts.profiles where customer_id = $1';
