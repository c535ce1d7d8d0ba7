-- Corner Shop sample data. Fixed values only (no NOW(), no RAND()) so every
-- page renders the same bytes on every run.

INSERT INTO customers (id, name, email, city) VALUES
  (1, 'Alice Martin', 'alice@example.com', 'Lyon'),
  (2, 'Bob Keller', 'bob@example.com', 'Basel'),
  (3, 'Chloé Dubois', 'chloe@example.com', 'Lyon'),
  (4, 'David Okafor', 'david@example.com', 'Leeds'),
  (5, 'Eva Novak', 'eva@example.com', 'Brno'),
  (6, 'Farid Haddad', 'farid@example.com', 'Leeds'),
  (7, 'Greta Lind', 'greta@example.com', 'Uppsala');

INSERT INTO products (id, sku, name, description, price, stock) VALUES
  (1, 'TEA-001', 'Assam tea, 250 g', 'Strong black tea for the morning.', 6.50, 40),
  (2, 'TEA-002', 'Sencha tea, 100 g', 'Japanese green tea, first flush.', 9.90, 3),
  (3, 'TEA-003', 'Rooibos, 200 g', 'Caffeine-free red bush tea.', 5.20, 12),
  (4, 'COF-001', 'Espresso beans, 1 kg', 'Dark roast, 70 % arabica.', 18.00, 7),
  (5, 'COF-002', 'Filter coffee, 500 g', 'Medium roast, ground for filters.', 8.40, 0),
  (6, 'MUG-001', 'Stoneware mug', 'Holds 300 ml, dishwasher safe.', 12.50, 25),
  (7, 'MUG-002', 'Glass tea cup', 'Double-walled, 200 ml.', 14.90, 5),
  (8, 'POT-001', 'Cast iron teapot', '0.8 l, with strainer.', 39.00, 2),
  (9, 'ACC-001', 'Tea strainer', 'Stainless steel "100% fine mesh".', 4.80, 60),
  (10, 'ACC-002', 'Milk frother', 'Battery powered; batteries not included.', 11.00, 9);

INSERT INTO orders (id, customer_id, status, placed_on) VALUES
  (1, 1, 'shipped', '2023-01-09'),
  (2, 2, 'shipped', '2023-02-14'),
  (3, 1, 'paid', '2023-03-02'),
  (4, 3, 'open', '2023-03-20'),
  (5, 4, 'cancelled', '2023-04-01'),
  (6, 5, 'shipped', '2023-04-18'),
  (7, 2, 'open', '2023-05-05'),
  (8, 6, 'paid', '2023-05-30');

INSERT INTO order_items (order_id, product_id, qty, unit_price) VALUES
  (1, 1, 2, 6.50),
  (1, 6, 1, 12.50),
  (2, 4, 1, 18.00),
  (2, 9, 3, 4.80),
  (3, 2, 1, 9.90),
  (3, 7, 2, 14.90),
  (3, 9, 1, 4.80),
  (4, 8, 1, 39.00),
  (4, 1, 1, 6.50),
  (5, 5, 2, 8.40),
  (6, 3, 4, 5.20),
  (6, 6, 2, 12.50),
  (6, 10, 1, 11.00),
  (7, 1, 3, 6.50),
  (7, 4, 2, 18.00),
  (8, 2, 2, 9.90),
  (8, 7, 1, 14.90),
  (8, 9, 2, 4.80);
