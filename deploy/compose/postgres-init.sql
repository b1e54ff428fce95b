-- One database per service (compose.yaml); each service reaches only its own.
CREATE DATABASE products;
CREATE DATABASE inventory;
CREATE DATABASE orders;
CREATE DATABASE payments;
