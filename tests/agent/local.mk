# agent (hvctld) tests: owned by the agent work
