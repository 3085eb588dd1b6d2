# hvcore tests: unit tests (cmocka) and integration tests that boot real
# pvboot domains under hvcore.
