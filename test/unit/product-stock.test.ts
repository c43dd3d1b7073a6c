// The pure rules of a product's stock: the order rows are locked in (which keeps concurrent orders from
// deadlocking) and how far an admin may set the available stock next to what open orders hold.
import { describe, expect, it } from '@jest/globals';
import { RuleViolationError } from '../../src/domain/errors.ts';
import { ensureStockFits, inLockOrder, MAX_STOCK } from '../../src/products/product-stock.ts';

describe('product stock', () => {
  it('when an order lists its products in any order, then they are locked by ascending product id', () => {
    const lines = [
      { productId: 7, quantity: 1 },
      { productId: 2, quantity: 5 },
      { productId: 4, quantity: 3 },
    ];

    expect(inLockOrder(lines).map((l) => l.productId)).toEqual([2, 4, 7]);
    expect(lines.map((l) => l.productId)).toEqual([7, 2, 4]);
  });

  it('when the new stock plus the reserved units fill the column exactly, then the stock may be set', () => {
    expect(() => ensureStockFits(MAX_STOCK - 10, 10)).not.toThrow();
    expect(() => ensureStockFits(MAX_STOCK, 0)).not.toThrow();
  });

  it('when the new stock plus the reserved units exceed the column, then a rule violation names both and the largest stock allowed', () => {
    let error: unknown;
    try {
      ensureStockFits(MAX_STOCK, 3);
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(RuleViolationError);
    expect((error as RuleViolationError).message).toBe(
      `Stock ${MAX_STOCK} plus the 3 units reserved by open orders exceeds ${MAX_STOCK}, the largest stock a product can have`,
    );
    expect((error as RuleViolationError).details).toEqual({ reserved: 3, maxStock: MAX_STOCK - 3 });
  });
});
