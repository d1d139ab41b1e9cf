// The sections at the top of the app's first screens: My inspections and, for staff and factories, Orders.
// Inspectors work from their assignments only, and see no section bar.
import '../../office-strings.js';
import { t } from '../../i18n.js';
import { html } from '../html.js';

const ORDER_ROLES = new Set(['admin', 'supervisor', 'merchandiser', 'factory']);

export const seesOrders = (user) => Boolean(user && ORDER_ROLES.has(user.role));

/** current: 'inspections' or 'orders'. */
export function SectionNav({ user, current }) {
  if (!seesOrders(user)) return null;
  const item = (key, href, label) => html`
    <a href=${href} class="section-tab" aria-current=${current === key ? 'page' : null}>${label}</a>`;
  return html`
    <nav class="sections" aria-label=${t('office.nav')}>
      ${item('inspections', '#/', t('my_inspections'))}
      ${item('orders', '#/orders', t('office.orders'))}
    </nav>`;
}
