CREATE TABLE coupons (id bigint PRIMARY KEY);
ALTER TABLE purchases ADD COLUMN coupon_id bigint REFERENCES coupons (id);
