# cli (hvctl) tests: owned by the CLI work
