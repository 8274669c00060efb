//! Unit tests of the pure accrual functions.
