// The office screens, loaded on the first visit to one of them (ui/app.js): each route's name (parseRoute's
// `office`) to its screen. Every screen takes {state, ids, params}: the UUIDs in its address and its query.
import { BookScreen } from './booking.js';
import { FollowUpsScreen } from './follow-ups.js';
import { LibraryScreen } from './library.js';
import { OrderFormScreen } from './order-form.js';
import { OrderScreen, OrdersScreen } from './orders.js';
import { PackingListScreen } from './packing.js';
import { CustomersScreen, FactoriesScreen } from './partners.js';
import { UsersScreen } from './people.js';
import { ResultScreen } from './result.js';
import { SpecSheetScreen } from './spec-sheet.js';

export const SCREENS = {
  orders: OrdersScreen,
  order: OrderScreen,
  'order-new': OrderFormScreen,
  'order-edit': OrderFormScreen,
  'packing-list': PackingListScreen,
  'spec-sheet': SpecSheetScreen,
  book: BookScreen,
  result: ResultScreen,
  'follow-ups': FollowUpsScreen,
  factories: FactoriesScreen,
  customers: CustomersScreen,
  users: UsersScreen,
  library: LibraryScreen,
};
