CREATE TABLE late_arrival (id int);
