"""Commerce: products, orders and order lines."""
