// Who sees which office screen, and the sections bar at the top of the app's first screens. Inspectors work
// from their assignments only, and see no sections bar. The server checks every call again (api/access.py):
// this only keeps people away from screens that would answer them 403.
import '../../office-strings.js';
import { t } from '../../i18n.js';
import { html, useEffect, useRef } from '../html.js';

const STAFF = ['admin', 'supervisor', 'merchandiser'];
const STAFF_AND_FACTORY = [...STAFF, 'factory'];
const SCREEN_ROLES = {
  orders: STAFF_AND_FACTORY,
  order: STAFF_AND_FACTORY,
  result: STAFF_AND_FACTORY,
  'follow-ups': STAFF_AND_FACTORY,
  'order-new': STAFF,
  'order-edit': STAFF,
  'packing-list': STAFF,
  'spec-sheet': STAFF,
  book: STAFF,
  factories: STAFF,
  customers: STAFF,
  users: ['admin'],
  library: ['admin'],
};

/** May this user open the office screen of this name (parseRoute's `office`)? */
export const seesOffice = (user, screen) => Boolean(user && SCREEN_ROLES[screen]?.includes(user.role));

export const seesOrders = (user) => seesOffice(user, 'orders');

// The sections bar: its links, in order, each shown to the roles of its screen.
const SECTIONS = [
  ['orders', '#/orders', 'office.orders'],
  ['follow-ups', '#/follow-ups', 'office.nav_follow_ups'],
  ['factories', '#/factories', 'office.nav_factories'],
  ['customers', '#/customers', 'office.nav_customers'],
  ['users', '#/users', 'office.nav_users'],
  ['library', '#/library', 'office.nav_library'],
];

/** current: 'inspections' or the office screen's section (its name in SECTIONS). */
export function SectionNav({ user, current }) {
  const bar = useRef(null);
  useEffect(() => {
    // On a phone the bar scrolls sideways: bring the current section into view (Library is the last).
    bar.current?.querySelector('[aria-current=page]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [current]);
  if (!seesOrders(user)) return null;
  const item = (key, href, label) => html`
    <a key=${key} href=${href} class="section-tab" aria-current=${current === key ? 'page' : null}>${label}</a>`;
  return html`
    <nav class="sections" aria-label=${t('office.nav')} ref=${bar}>
      ${item('inspections', '#/', t('my_inspections'))}
      ${SECTIONS.filter(([key]) => seesOffice(user, key)).map(([key, href, label]) => item(key, href, t(label)))}
    </nav>`;
}
