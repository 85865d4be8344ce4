/**
 * The checkout aggregate: what the poller saw in each specification's git channels.
 */
import type { Decider } from '../shared/decider.ts';
import type { CheckoutCommand } from './commands.ts';
import { decideCheckout } from './decide.ts';
import type { CheckoutEvent } from './events.ts';
import { type CheckoutState, evolveCheckout, initialCheckoutState } from './state.ts';

export * from './checkout.ts';
export * from './commands.ts';
export * from './events.ts';
export * from './schemas.ts';
export * from './state.ts';

/** The checkout decider. */
export const checkoutDecider: Decider<CheckoutCommand, CheckoutEvent, CheckoutState> = {
  initialState: initialCheckoutState,
  evolve: evolveCheckout,
  decide: decideCheckout,
};
