DROP FUNCTION parley_fence(bigint);
DROP TABLE leader;
